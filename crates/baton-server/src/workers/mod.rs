//! Background workers that run beside the HTTP server.

pub mod deliveries;
pub mod timers;
