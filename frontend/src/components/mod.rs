//! Pieces shared by several pages.

pub mod badge;
pub mod banner;
pub mod shell;
