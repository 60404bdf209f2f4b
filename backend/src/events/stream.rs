//! One subscription's events: those after `afterEventId` from the log,
//! then live ones, without gap or duplicate; only what the caller may see
//! and the subscription asked for; ending with an error item when the
//! client falls behind (`LAGGED`, resume after `lastEventId`) or its token
//! expires (`UNAUTHENTICATED`).

use std::collections::VecDeque;

use futures::Stream;
use tokio::sync::broadcast::{self, error::RecvError};

use super::{DomainEvent, Position, ReplayError};
use crate::app::AppCtx;
use crate::auth::Principal;
use crate::error::AppError;

/// May `p` receive `e`? Everyone but an AGENT; an AGENT the events of
/// their customers and of tickets assigned to them.
pub fn visible(p: &Principal, e: &DomainEvent) -> bool {
    match p.only_assigned_to() {
        Some(me) => e.assigned_agent_id == Some(me) || e.assignee_id == Some(me),
        None => true,
    }
}

struct State<F> {
    app: AppCtx,
    principal: Principal,
    rx: broadcast::Receiver<DomainEvent>,
    /// Still to replay from the log (taken on the first poll).
    after: Option<String>,
    replay: VecDeque<DomainEvent>,
    /// The last replayed position: live events up to it were replayed.
    replayed_up_to: Option<Position>,
    /// The last event looked at (delivered or filtered out).
    last_seen: Option<String>,
    deadline: Option<tokio::time::Instant>,
    done: bool,
    keep: F,
}

/// The events `p` may see that `keep` selects, after `after` if given.
pub fn events<F>(
    app: &AppCtx,
    p: &Principal,
    after: Option<String>,
    keep: F,
) -> impl Stream<Item = Result<DomainEvent, AppError>> + Send + 'static
where
    F: Fn(&DomainEvent) -> bool + Send + Sync + 'static,
{
    // Subscribe before reading the log: an event is then either in the
    // log read, or received live, or both (and skipped the second time).
    let (rx, head) = app.bus.subscribe();
    let deadline = p.expires_at.map(|exp| {
        let left = (exp - app.now()).to_std().unwrap_or_default();
        tokio::time::Instant::now() + left
    });
    let state = State {
        app: app.clone(),
        principal: p.clone(),
        rx,
        after: after.filter(|a| !a.trim().is_empty()),
        replay: VecDeque::new(),
        replayed_up_to: None,
        last_seen: Some(head),
        deadline,
        done: false,
        keep,
    };
    futures::stream::unfold(state, |mut s| async move {
        if s.done {
            return None;
        }
        if let Some(after) = s.after.take() {
            match s.app.bus.replay(&after).await {
                Ok(events) => {
                    s.replayed_up_to = events.last().and_then(DomainEvent::position).or(Position::parse(&after));
                    s.last_seen = Some(after);
                    s.replay = events.into();
                }
                Err(ReplayError::Malformed) => {
                    s.done = true;
                    return Some((Err(AppError::bad_input("afterEventId", "not an event id")), s));
                }
                Err(ReplayError::Expired) => {
                    s.done = true;
                    let err = AppError::Lagged {
                        last_event_id: None,
                        message: format!(
                            "the events after {after} are no longer kept: reload, then subscribe without afterEventId"
                        ),
                    };
                    return Some((Err(err), s));
                }
            }
        }
        loop {
            if let Some(e) = s.replay.pop_front() {
                s.last_seen = Some(e.id.clone());
                if visible(&s.principal, &e) && (s.keep)(&e) {
                    return Some((Ok(e), s));
                }
                continue;
            }
            let received = match s.deadline {
                Some(deadline) => tokio::select! {
                    r = s.rx.recv() => Some(r),
                    _ = tokio::time::sleep_until(deadline) => None,
                },
                None => Some(s.rx.recv().await),
            };
            match received {
                None => {
                    s.done = true;
                    return Some((Err(AppError::Unauthenticated("the token expired: sign in again".into())), s));
                }
                Some(Ok(e)) => {
                    if s.replayed_up_to.is_some_and(|up_to| e.position().is_some_and(|p| p <= up_to)) {
                        continue;
                    }
                    s.last_seen = Some(e.id.clone());
                    if visible(&s.principal, &e) && (s.keep)(&e) {
                        return Some((Ok(e), s));
                    }
                }
                Some(Err(RecvError::Lagged(missed))) => {
                    s.done = true;
                    metrics::counter!("crm360_subscribers_lagged_total").increment(1);
                    let err = AppError::Lagged {
                        last_event_id: s.last_seen.clone(),
                        message: format!(
                            "this subscription fell {missed} events behind: subscribe again with afterEventId"
                        ),
                    };
                    return Some((Err(err), s));
                }
                Some(Err(RecvError::Closed)) => return None,
            }
        }
    })
}
