//! Tickets: a ticket for a new phone through the whole workflow with a
//! compensation, the phone check, a card moved live by another client,
//! and only the legal moves on a card.

use serde_json::json;

use crate::browser::{Session, scenario};

/// Opens a ticket through the API as the admin (another client); returns
/// its id and code.
async fn ticket_via_api(s: &Session, customer_id: &str, kind: &str) -> (String, String) {
    let res = s
        .app
        .gql(
            "mutation($i: CreateTicketInput!) { createTicket(input: $i) { ticket { id code } } }",
            json!({ "i": { "customerId": customer_id, "type": kind, "description": "opened by the API" } }),
        )
        .await;
    assert!(res["errors"].is_null(), "createTicket: {res}");
    let ticket = &res["data"]["createTicket"]["ticket"];
    (ticket["id"].as_str().unwrap().to_owned(), ticket["code"].as_str().unwrap().to_owned())
}

/// The `data-to` of every move button under `css`.
async fn moves_offered(s: &Session, css: &str) -> Vec<String> {
    let mut offered = Vec::new();
    for button in s.all(&format!("{css} .move-btn")).await {
        offered.push(button.attr("data-to").await.unwrap().unwrap_or_default());
    }
    offered
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_for_a_new_phone_goes_through_the_workflow_with_compensation() {
    scenario("tickets_workflow", |s| async move {
        s.sign_in_as_admin().await;
        s.open("/tickets").await;
        s.find("#ticket-board").await;

        // A phone nobody has: the form warns and asks for a name.
        s.click("#new-ticket").await;
        s.fill("#ticket-phone", "0987 111 222").await;
        s.wait_text("#new-customer-warning", "a new customer will be created").await;
        // Nothing is sent without a description.
        s.fill("#ticket-customer-name", "Phan Văn Trị").await;
        s.click_text(".dialog", "Create ticket").await;
        s.wait_text(".field.has-error .field-error", "Describe the problem").await;
        s.select("#ticket-type", "BOOM").await;
        s.fill("#ticket-order", "DH-100").await;
        s.fill("#ticket-carrier", "GHN").await;
        s.fill("#ticket-description", "The customer refused the parcel").await;
        s.click_text(".dialog", "Create ticket").await;

        // The new ticket's page.
        s.wait_text("#ticket-code", "TV-").await;
        s.wait_text("#ticket-status", "New").await;
        s.wait_text("#ticket-customer-link", "Phan Văn Trị").await;
        let path = s.c.current_url().await.unwrap().path().to_owned();
        let id = path.strip_prefix("/tickets/").expect("on a ticket's page").to_owned();

        // NEW → IN_PROGRESS → WAITING_CARRIER.
        s.click("#ticket-moves .move-btn[data-to=IN_PROGRESS]").await;
        s.wait_text("#ticket-status", "In progress").await;
        s.click("#ticket-moves .move-btn[data-to=WAITING_CARRIER]").await;
        s.wait_text("#ticket-status", "Waiting carrier").await;

        // Resolve with a virtual credit of 50.000 ₫, confirmed first.
        s.click("#ticket-moves .move-btn[data-to=COMPLETED]").await;
        s.find("#resolve-kind").await;
        s.select("#resolve-kind", "VIRTUAL_CREDIT").await;
        s.fill("#resolve-amount", "50000").await;
        s.fill("#resolve-resolution", "Credit for the trouble").await;
        s.click("#resolve-continue").await;
        s.wait_text("#resolve-confirmation", "virtual credit of 50.000 ₫").await;
        s.click_text(".dialog", "Confirm").await;
        s.wait_gone(".dialog").await;

        s.wait_text("#ticket-status", "Completed").await;
        s.wait_text("#compensation", "Virtual credit").await;
        s.wait_text("#compensation", "50.000 ₫").await;
        s.wait_text("#compensation", "Credit for the trouble").await;
        s.wait_text("#history", "New → In progress").await;
        s.wait_text("#history", "In progress → Waiting carrier").await;
        s.wait_text("#history", "Resolved").await;
        assert!(s.all("#ticket-moves .move-btn[data-to=COMPLETED]").await.is_empty(), "nothing left to resolve");

        // The customer got the credit.
        let res = s
            .app
            .gql("query($id: ID!) { ticket(id: $id) { customer { wallet { virtualBalance } } } }", json!({ "id": id }))
            .await;
        let balance = res["data"]["ticket"]["customer"]["wallet"]["virtualBalance"].as_str().unwrap_or_default();
        assert!(balance == "50000" || balance.starts_with("50000."), "virtual balance {balance}: {res}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_phone_check_shows_an_existing_customer() {
    scenario("tickets_phone_check", |s| async move {
        let customer = s.app.customer("Trần Thị Hoa", "0901555666").await;
        let res = s
            .app
            .gql(
                "mutation($i: DepositInput!) { deposit(input: $i) { transaction { id } } }",
                json!({ "i": { "customerId": customer["id"], "amount": "120000" } }),
            )
            .await;
        assert!(res["errors"].is_null(), "{res}");
        s.sign_in_as_admin().await;
        s.open("/tickets").await;
        s.click("#new-ticket").await;
        s.fill("#ticket-phone", "0901555666").await;
        s.wait_text("#known-customer", "Trần Thị Hoa").await;
        s.wait_text("#known-customer", "120.000 ₫").await;
        assert!(s.all("#new-customer-warning").await.is_empty());
        assert!(s.all("#ticket-customer-name").await.is_empty(), "no name asked for a known customer");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_through_the_api_moves_the_card_live() {
    scenario("tickets_live_board", |s| async move {
        let customer = s.app.customer("Lê Văn Tám", "0902777888").await;
        let (id, code) = ticket_via_api(&s, customer["id"].as_str().unwrap(), "SUPPORT").await;
        s.sign_in_as_admin().await;
        s.open("/tickets").await;
        s.wait_text("#col-NEW", &code).await;
        // Wait for the live connection before changing anything elsewhere.
        s.wait_text(".live", "Live").await;

        let res = s
            .app
            .gql("mutation($id: ID!) { transitionTicket(id: $id, to: IN_PROGRESS) { status } }", json!({ "id": id }))
            .await;
        assert!(res["errors"].is_null(), "{res}");
        s.wait_text("#col-IN_PROGRESS", &code).await;
        s.wait_gone(&format!("#col-NEW .ticket-card[data-code='{code}']")).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_legal_moves_are_offered() {
    scenario("tickets_legal_moves", |s| async move {
        let customer = s.app.customer("Đỗ Thị Mai", "0903999000").await;
        let (id, code) = ticket_via_api(&s, customer["id"].as_str().unwrap(), "BOOM").await;
        s.sign_in_as_admin().await;
        s.open("/tickets").await;
        let card = format!("#col-NEW .ticket-card[data-code='{code}']");
        s.find(&card).await;
        s.find(&format!("{card} .move-btn")).await;
        assert_eq!(moves_offered(&s, &card).await, ["IN_PROGRESS", "CANCELLED"]);

        // The same on the ticket's page.
        s.open(&format!("/tickets/{id}")).await;
        s.wait_text("#ticket-status", "New").await;
        s.find("#ticket-moves .move-btn").await;
        assert_eq!(moves_offered(&s, "#ticket-moves").await, ["IN_PROGRESS", "CANCELLED"]);
    })
    .await;
}
