//! What crosses IPC: the view types the window receives and sends, and the TypeScript bindings
//! generated from them. Nothing here calls into the use cases; they all build these views.

pub mod back_office;
pub mod backups;
pub mod bindings;
pub mod collect;
pub mod device_services;
pub mod devices;
pub mod display;
pub mod loyalty;
pub mod print;
pub mod refund;
pub mod sale;
pub mod services;
pub mod setup;
pub mod sync;
pub mod views;
pub mod watch;
