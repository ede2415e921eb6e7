//! Background workers that run beside the HTTP server.

pub mod timers;
