//! The ticket workflow as an explicit state machine:
//!
//! ```text
//! NEW ──▶ IN_PROGRESS ──▶ WAITING_CARRIER ──▶ COMPLETED
//!  │           │                 │
//!  └───────────┴─────────────────┴──▶ CANCELLED
//! COMPLETED / CANCELLED ──▶ IN_PROGRESS   (reopen, MANAGER and above)
//! ```
//!
//! Every other move is `INVALID_TRANSITION` naming both states.

use super::model::TicketStatus::{self, *};
use crate::auth::Role;
use crate::error::AppError;

/// Who may make a legal move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Anyone who may act on the ticket.
    Staff,
    /// A MANAGER or ADMIN (reopening).
    Manager,
}

/// The rule for `from → to`, or `None` when the move does not exist.
pub fn rule(from: TicketStatus, to: TicketStatus) -> Option<Needs> {
    match (from, to) {
        (New, InProgress) | (InProgress, WaitingCarrier) | (WaitingCarrier, Completed) => Some(Needs::Staff),
        (New | InProgress | WaitingCarrier, Cancelled) => Some(Needs::Staff),
        (Completed | Cancelled, InProgress) => Some(Needs::Manager),
        _ => None,
    }
}

/// Checks that `role` may move a ticket from `from` to `to`.
pub fn check(from: TicketStatus, to: TicketStatus, role: Role) -> Result<(), AppError> {
    match rule(from, to) {
        None => Err(AppError::InvalidTransition { from: from.as_str().into(), to: to.as_str().into() }),
        Some(Needs::Manager) if role < Role::Manager => {
            Err(AppError::Forbidden(format!("reopening a {} ticket needs a MANAGER", from.as_str())))
        }
        Some(_) => Ok(()),
    }
}

/// The statuses reachable from `from` by `role`, for clients to offer only
/// legal moves.
pub fn next(from: TicketStatus, role: Role) -> Vec<TicketStatus> {
    [New, InProgress, WaitingCarrier, Completed, Cancelled]
        .into_iter()
        .filter(|to| check(from, *to, role).is_ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [TicketStatus; 5] = [New, InProgress, WaitingCarrier, Completed, Cancelled];

    #[test]
    fn exactly_the_documented_moves_exist() {
        let legal: Vec<(TicketStatus, TicketStatus)> = ALL
            .iter()
            .flat_map(|f| ALL.iter().map(move |t| (*f, *t)))
            .filter(|(f, t)| rule(*f, *t).is_some())
            .collect();
        assert_eq!(
            legal,
            vec![
                (New, InProgress),
                (New, Cancelled),
                (InProgress, WaitingCarrier),
                (InProgress, Cancelled),
                (WaitingCarrier, Completed),
                (WaitingCarrier, Cancelled),
                (Completed, InProgress),
                (Cancelled, InProgress),
            ]
        );
    }

    #[test]
    fn an_illegal_move_names_both_states() {
        match check(New, Completed, Role::Admin) {
            Err(AppError::InvalidTransition { from, to }) => {
                assert_eq!((from.as_str(), to.as_str()), ("NEW", "COMPLETED"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn only_managers_reopen() {
        assert!(matches!(check(Completed, InProgress, Role::Agent), Err(AppError::Forbidden(_))));
        assert!(check(Completed, InProgress, Role::Manager).is_ok());
        assert_eq!(next(Cancelled, Role::Agent), Vec::<TicketStatus>::new());
        assert_eq!(next(New, Role::Agent), vec![InProgress, Cancelled]);
    }
}
