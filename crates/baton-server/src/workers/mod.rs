//! Background workers that run beside the HTTP server.

pub mod agents;
pub mod deliveries;
pub mod timers;
