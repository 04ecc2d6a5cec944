pub mod driver;
pub mod till_server;
pub mod webdriver;
