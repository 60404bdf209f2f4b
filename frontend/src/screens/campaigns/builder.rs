//! The segment builder: a root group with its AND / OR toggle, conditions
//! whose operator and value inputs follow the field chosen, nested groups,
//! and the error of a rule shown next to it (matched by the rule path in
//! the server's `extensions.field`).
//!
//! The tree is held as signals, one per input, so typing in one rule does
//! not rebuild the others; [`GroupNode::rules`] reads it back (tracked) as
//! the plain [`Rules`] the server takes.

use std::sync::atomic::{AtomicU64, Ordering};

use leptos::prelude::*;

use super::rules::{self, Arity, Condition, FieldKind, GroupOp, Rules, SegmentField};
use crate::api::ApiError;

/// Gives every node a key for `<For>`.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// A group being edited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupNode {
    id: u64,
    op: RwSignal<GroupOp>,
    conditions: RwSignal<Vec<ConditionNode>>,
    groups: RwSignal<Vec<GroupNode>>,
}

/// A condition being edited. `values` holds the checked choices of `in` on
/// a choice field and the low / high of `between`; a typed list of `in`
/// is `value` until it is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConditionNode {
    id: u64,
    field: RwSignal<String>,
    operator: RwSignal<String>,
    value: RwSignal<String>,
    values: RwSignal<Vec<String>>,
}

impl GroupNode {
    /// The editable copy of `rules`.
    pub fn from_rules(rules: &Rules, fields: &[SegmentField]) -> Self {
        GroupNode {
            id: next_id(),
            op: RwSignal::new(rules.op),
            conditions: RwSignal::new(
                rules.conditions.iter().map(|c| ConditionNode::from_condition(c, fields)).collect(),
            ),
            groups: RwSignal::new(rules.groups.iter().map(|g| GroupNode::from_rules(g, fields)).collect()),
        }
    }

    /// The rules as they stand (tracks every input).
    pub fn rules(&self, fields: &[SegmentField]) -> Rules {
        Rules {
            op: self.op.get(),
            conditions: self.conditions.get().iter().map(|c| c.condition(fields)).collect(),
            groups: self.groups.get().iter().map(|g| g.rules(fields)).collect(),
        }
    }
}

impl ConditionNode {
    fn from_condition(c: &Condition, fields: &[SegmentField]) -> Self {
        let typed_list = rules::arity(&c.operator) == Arity::List && kind_of(fields, &c.field) != FieldKind::Choice;
        let value = if typed_list { c.values.join(", ") } else { c.value.clone().unwrap_or_default() };
        ConditionNode {
            id: next_id(),
            field: RwSignal::new(c.field.clone()),
            operator: RwSignal::new(c.operator.clone()),
            value: RwSignal::new(value),
            values: RwSignal::new(c.values.clone()),
        }
    }

    /// A new condition on the first field, with its first operator.
    fn first(fields: &[SegmentField]) -> Self {
        let node = ConditionNode {
            id: next_id(),
            field: RwSignal::new(String::new()),
            operator: RwSignal::new(String::new()),
            value: RwSignal::new(String::new()),
            values: RwSignal::new(Vec::new()),
        };
        if let Some(field) = fields.first() {
            node.choose_field(field);
        }
        node
    }

    /// Another field: its first operator, and its first choice as value.
    fn choose_field(self, field: &SegmentField) {
        self.field.set(field.name.clone());
        self.operator.set(field.operators.first().cloned().unwrap_or_default());
        self.value.set(field.choices.first().cloned().unwrap_or_default());
        self.values.set(Vec::new());
    }

    /// Another operator: the value moves over where it fits.
    fn choose_operator(self, operator: String, kind: FieldKind) {
        let before = self.operator.get_untracked();
        if (before == "within_last_days") != (operator == "within_last_days") {
            self.value.set(String::new());
        }
        let value = self.value.get_untracked();
        match rules::arity(&operator) {
            Arity::List if kind == FieldKind::Choice => {
                self.values.set(vec![value].into_iter().filter(|v| !v.is_empty()).collect())
            }
            Arity::Range => self.values.set(vec![value, String::new()]),
            Arity::List | Arity::One => {}
        }
        self.operator.set(operator);
    }

    fn condition(&self, fields: &[SegmentField]) -> Condition {
        let (field, operator) = (self.field.get(), self.operator.get());
        let value = self.value.get();
        let values = if rules::arity(&operator) == Arity::List && kind_of(fields, &field) != FieldKind::Choice {
            rules::split_list(&value)
        } else {
            self.values.get()
        };
        rules::condition(&field, &operator, &value, &values)
    }
}

fn kind_of(fields: &[SegmentField], name: &str) -> FieldKind {
    fields.iter().find(|f| f.name == name).map_or(FieldKind::Unknown, |f| f.kind)
}

/// What every part of the builder shares.
#[derive(Clone, Copy)]
pub struct Builder {
    pub fields: StoredValue<Vec<SegmentField>>,
    /// The last refusal of the rules (preview or save), shown at its rule.
    pub error: RwSignal<Option<ApiError>>,
    pub read_only: bool,
}

impl Builder {
    fn error_where(self, matches: impl Fn(&str) -> bool + Send + Sync + 'static) -> Signal<Option<String>> {
        let error = self.error;
        Signal::derive(move || {
            error.with(|e| e.as_ref().filter(|e| e.field().is_some_and(&matches)).map(ToString::to_string))
        })
    }
}

/// A group: its AND / OR toggle, conditions, nested groups and buttons.
#[component]
pub fn GroupView(
    node: GroupNode,
    builder: Builder,
    /// `rules`, `rules.groups.0`, … (moves when a sibling goes).
    path: Signal<String>,
    depth: usize,
    /// Removes this group from its parent (none for the root).
    #[prop(optional)]
    on_remove: Option<Callback<()>>,
) -> impl IntoView {
    let GroupNode { op, conditions, groups, .. } = node;
    let error = builder.error_where(move |f| rules::names_group(f, &path.get()));
    let fields = builder.fields;
    let add_condition = move |_| {
        let c = fields.with_value(|f| ConditionNode::first(f));
        conditions.update(|list| list.push(c));
    };
    let add_group = move |_| {
        let c = fields.with_value(|f| ConditionNode::first(f));
        let g = GroupNode {
            id: next_id(),
            op: RwSignal::new(GroupOp::And),
            conditions: RwSignal::new(vec![c]),
            groups: RwSignal::new(Vec::new()),
        };
        groups.update(|list| list.push(g));
    };
    let toggle = move |to: GroupOp, label: &'static str, class: &'static str| {
        view! {
            <button type="button" class=format!("btn btn-small {class}") class:active=move || op.get() == to
                aria-pressed=move || (op.get() == to).to_string() disabled=builder.read_only
                on:click=move |_| op.set(to)>{label}</button>
        }
    };
    view! {
        <div class="seg-group" data-path=move || path.get() data-op=move || format!("{:?}", op.get()).to_uppercase()>
            <div class="seg-group-head">
                <span class="muted">"Match"</span>
                <div class="seg-op" role="group" aria-label="How the rules combine">
                    {toggle(GroupOp::And, "all (AND)", "seg-and")}
                    {toggle(GroupOp::Or, "any (OR)", "seg-or")}
                </div>
                {on_remove.filter(|_| !builder.read_only).map(|remove| view! {
                    <button type="button" class="btn btn-ghost btn-small seg-remove-group"
                        on:click=move |_| remove.run(())>"Remove group"</button>
                })}
            </div>
            <span class="seg-error field-error" role="alert">{move || error.get()}</span>
            <For each=move || conditions.get() key=|c| c.id let:c>
                {
                    let id = c.id;
                    let path = Signal::derive(move || {
                        let i = conditions.with(|l| l.iter().position(|n| n.id == id).unwrap_or_default());
                        format!("{}.conditions.{i}", path.get())
                    });
                    let remove = Callback::new(move |()| conditions.update(|l| l.retain(|n| n.id != id)));
                    view! { <ConditionRow node=c builder path remove /> }
                }
            </For>
            <For each=move || groups.get() key=|g| g.id let:g>
                {
                    let id = g.id;
                    let path = Signal::derive(move || {
                        let i = groups.with(|l| l.iter().position(|n| n.id == id).unwrap_or_default());
                        format!("{}.groups.{i}", path.get())
                    });
                    let remove = Callback::new(move |()| groups.update(|l| l.retain(|n| n.id != id)));
                    view! { <GroupView node=g builder path depth=depth + 1 on_remove=remove /> }.into_any()
                }
            </For>
            <Show when=move || !builder.read_only>
                <div class="seg-group-actions">
                    <button type="button" class="btn btn-small seg-add-condition" on:click=add_condition>"+ Condition"</button>
                    <Show when=move || { depth < 5 }>
                        <button type="button" class="btn btn-small seg-add-group" on:click=add_group>"+ Group"</button>
                    </Show>
                </div>
            </Show>
        </div>
    }
}

/// One condition: field, operator, value inputs for the field's kind.
#[component]
fn ConditionRow(node: ConditionNode, builder: Builder, path: Signal<String>, remove: Callback<()>) -> impl IntoView {
    let fields = builder.fields;
    let field = Memo::new(move |_| {
        let name = node.field.get();
        fields.with_value(|f| f.iter().find(|x| x.name == name).cloned())
    });
    let kind = move || field.with(|f| f.as_ref().map_or(FieldKind::Unknown, |f| f.kind));
    let error = builder.error_where(move |f| rules::names_condition(f, &path.get()));
    let on_field = move |ev| {
        let name = event_target_value(&ev);
        if let Some(f) = fields.with_value(|f| f.iter().find(|x| x.name == name).cloned()) {
            node.choose_field(&f);
        }
    };
    view! {
        <div class="seg-cond" class:has-error=move || error.with(Option::is_some) data-path=move || path.get()>
            <div class="seg-cond-inputs">
                <select class="seg-field" aria-label="Field" on:change=on_field disabled=builder.read_only>
                    {fields.with_value(|list| list.iter().map(|f| {
                        let name = f.name.clone();
                        let selected = move || node.field.with(|v| *v == name);
                        view! { <option value=f.name.clone() selected=selected>{f.label.clone()}</option> }
                    }).collect_view())}
                </select>
                {move || {
                    let operators = field.with(|f| f.as_ref().map(|f| f.operators.clone()).unwrap_or_default());
                    view! {
                        <select class="seg-operator" aria-label="Operator" disabled=builder.read_only
                            on:change=move |ev| node.choose_operator(event_target_value(&ev), kind())>
                            {operators.into_iter().map(|op| {
                                let selected = node.operator.get_untracked() == op;
                                view! { <option value=op.clone() selected=selected>{rules::operator_label(&op).to_owned()}</option> }
                            }).collect_view()}
                        </select>
                    }
                }}
                {move || value_inputs(node, field.get(), node.operator.get(), builder.read_only)}
                <Show when=move || !builder.read_only>
                    <button type="button" class="btn btn-ghost btn-icon seg-remove" aria-label="Remove condition"
                        title="Remove condition" on:click=move |_| remove.run(())>"✕"</button>
                </Show>
            </div>
            <span class="seg-error field-error" role="alert">{move || error.get()}</span>
        </div>
    }
}

/// The value input(s) for a field kind and an operator; rebuilt only when
/// either changes, so typing keeps the focus.
fn value_inputs(node: ConditionNode, field: Option<SegmentField>, operator: String, read_only: bool) -> AnyView {
    let Some(field) = field else { return ().into_any() };
    let input_type = match field.kind {
        _ if operator == "within_last_days" => "number",
        FieldKind::Number => "number",
        FieldKind::Date => "date",
        _ => "text",
    };
    let placeholder = match field.kind {
        _ if operator == "within_last_days" => "days",
        FieldKind::Money => "amount, e.g. 500000",
        FieldKind::Date => "YYYY-MM-DD",
        _ if operator == "in" => "values, separated by commas",
        _ => "value",
    };
    match (rules::arity(&operator), field.kind) {
        (Arity::List, FieldKind::Choice) => {
            let values = node.values;
            view! {
                <div class="seg-choices" role="group" aria-label="Values">
                    {field.choices.into_iter().map(|choice| {
                        let checked = values.with_untracked(|v| v.contains(&choice));
                        let c = choice.clone();
                        view! {
                            <label class="seg-choice">
                                <input type="checkbox" value=choice.clone() checked=checked disabled=read_only
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        values.update(|v| {
                                            v.retain(|x| *x != c);
                                            if on { v.push(c.clone()); }
                                        });
                                    } />
                                {crate::format::enum_label(&choice)}
                            </label>
                        }
                    }).collect_view()}
                </div>
            }
            .into_any()
        }
        (_, FieldKind::Choice) => view! {
            <select class="seg-value" aria-label="Value" disabled=read_only
                on:change=move |ev| node.value.set(event_target_value(&ev))>
                {field.choices.into_iter().map(|choice| {
                    let selected = node.value.get_untracked() == choice;
                    view! { <option value=choice.clone() selected=selected>{crate::format::enum_label(&choice)}</option> }
                }).collect_view()}
            </select>
        }
        .into_any(),
        (Arity::Range, _) => {
            let bound = move |i: usize, class: &'static str, label: &'static str| {
                let initial = node.values.with_untracked(|v| v.get(i).cloned().unwrap_or_default());
                view! {
                    <input class=format!("seg-value {class}") type=input_type aria-label=label placeholder=placeholder
                        value=initial disabled=read_only
                        on:input=move |ev| node.values.update(|v| {
                            v.resize(2, String::new());
                            v[i] = event_target_value(&ev);
                        }) />
                }
            };
            view! { {bound(0, "seg-low", "From")} <span class="muted">"and"</span> {bound(1, "seg-high", "To")} }.into_any()
        }
        _ => view! {
            <input class="seg-value" type=input_type aria-label="Value" placeholder=placeholder disabled=read_only
                value=node.value.get_untracked() on:input=move |ev| node.value.set(event_target_value(&ev)) />
        }
        .into_any(),
    }
}
