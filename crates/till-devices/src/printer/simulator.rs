//! A simulated ESC/POS printer.
