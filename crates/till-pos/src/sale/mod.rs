//! Ringing up and taking payment: the open carts and cash checkout ([`cart`]), card payments
//! step by step ([`card`]), and card payments approved offline and forwarded later
//! ([`offline_forward`]).

pub mod card;
pub mod cart;
pub mod offline_forward;
