//! Pieces shared by several screens.

pub mod badge;
pub mod banner;
pub mod chart;
pub mod dialog;
pub mod export;
pub mod form;
pub mod paged;
pub mod scroll;
pub mod shell;
pub mod states;
pub mod throttle;
