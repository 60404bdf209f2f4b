//! Customers over GraphQL: create, find, update, search, notes, timeline,
//! roles.

use futures::future::join_all;
use serde_json::json;

use crate::helpers::{code, field};

const FULL: &str = "id memberCode name phone email tier status tags wallet { realBalance virtualBalance points }";

crate::on_both! {
    async fn creating_a_customer_normalises_the_phone_and_opens_an_empty_wallet(app) {
        let res = app.gql(
            &format!("mutation($i: CreateCustomerInput!) {{ createCustomer(input: $i) {{ {FULL} }} }}"),
            json!({ "i": { "name": "  Nguyễn   Văn An ", "phone": "090 123 4567", "email": "An@Example.VN", "tags": ["VIP", "vip", "zalo"] } }),
        ).await;
        let c = &res["data"]["createCustomer"];
        assert_eq!(c["name"], "Nguyễn Văn An");
        assert_eq!(c["phone"], "+84901234567");
        assert_eq!(c["email"], "an@example.vn");
        assert_eq!(c["tags"], json!(["vip", "zalo"]));
        assert_eq!(c["tier"], "NEW");
        assert_eq!(c["status"], "ACTIVE");
        assert_eq!(c["wallet"], json!({ "realBalance": "0", "virtualBalance": "0", "points": 0 }));
        let year = (chrono::Utc::now() + chrono::Duration::hours(7)).format("%Y").to_string(); // Asia/Ho_Chi_Minh
        assert_eq!(c["memberCode"], format!("MEM-{year}-0001"));
    }

    async fn a_phone_already_in_use_in_another_format_is_a_conflict_on_the_phone_field(app) {
        app.customer("Trần Thị Bích", "0901234567").await;
        for other in ["+84 90 123 4567", "84901234567"] {
            let res = app.gql(
                "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }",
                json!({ "i": { "name": "Someone Else", "phone": other } }),
            ).await;
            assert_eq!(code(&res), Some("CONFLICT"), "{res}");
            assert_eq!(field(&res), Some("input.phone"));
        }
        let count = app.gql("{ customers { totalCount } }", json!({})).await;
        assert_eq!(count["data"]["customers"]["totalCount"], 1);
    }

    async fn an_invalid_phone_is_bad_input_and_creates_nothing(app) {
        for bad in ["12345", "not a phone", "", "+84 12"] {
            let res = app.gql(
                "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }",
                json!({ "i": { "name": "X", "phone": bad } }),
            ).await;
            assert_eq!(code(&res), Some("BAD_USER_INPUT"), "{bad}: {res}");
            assert_eq!(field(&res), Some("input.phone"));
        }
        let res = app.gql("mutation { getOrCreateCustomerByPhone(phone: \"abc\") { created } }", json!({})).await;
        assert_eq!(code(&res), Some("BAD_USER_INPUT"));
        assert_eq!(field(&res), Some("phone"));
        let count = app.gql("{ customers { totalCount } }", json!({})).await;
        assert_eq!(count["data"]["customers"]["totalCount"], 0);
    }

    async fn other_bad_fields_are_named_in_the_error(app) {
        let cases = [
            (json!({ "name": "   ", "phone": "0901111111" }), "input.name"),
            (json!({ "name": "A", "phone": "0901111111", "email": "not-an-email" }), "input.email"),
            (json!({ "name": "A", "phone": "0901111111", "birthday": "2999-01-01" }), "input.birthday"),
            (json!({ "name": "A", "phone": "0901111111", "externalIds": [1, 2] }), "input.externalIds"),
            (json!({ "name": "A", "phone": "0901111111", "assignedAgentId": "999999" }), "input.assignedAgentId"),
        ];
        for (input, expected) in cases {
            let res = app.gql("mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }", json!({ "i": input })).await;
            assert_eq!(code(&res), Some("BAD_USER_INPUT"), "{res}");
            assert_eq!(field(&res), Some(expected), "{res}");
        }
    }

    async fn twenty_parallel_get_or_create_calls_in_different_formats_make_one_customer(app) {
        let formats = ["0907654321", "+84 90 765 4321", "84907654321", "090-765-4321", "(090) 7654321"];
        let calls = (0..20).map(|i| {
            let phone = formats[i % formats.len()];
            app.gql(
                "mutation($p: String!) { getOrCreateCustomerByPhone(phone: $p, name: \"Lê Minh\") { created customer { id phone } } }",
                json!({ "p": phone }),
            )
        });
        let results = join_all(calls).await;
        let mut ids = std::collections::HashSet::new();
        let mut created = 0;
        for r in &results {
            assert!(r["errors"].is_null(), "{r}");
            let l = &r["data"]["getOrCreateCustomerByPhone"];
            ids.insert(l["customer"]["id"].as_str().unwrap().to_owned());
            assert_eq!(l["customer"]["phone"], "+84907654321");
            if l["created"] == true { created += 1; }
        }
        assert_eq!(ids.len(), 1, "one customer");
        assert_eq!(created, 1, "exactly one call created it");
        let res = app.gql("{ customers(search: \"0907654321\") { totalCount } }", json!({})).await;
        assert_eq!(res["data"]["customers"]["totalCount"], 1);
    }

    async fn a_customer_is_found_by_id_phone_and_member_code(app) {
        let c = app.customer("Phạm Quốc Bảo", "0912345678").await;
        let q = "query($id: ID!, $p: String!, $m: String!) { customer(id: $id) { name } customerByPhone(phone: $p) { name } customerByMemberCode(code: $m) { name } }";
        let res = app.gql(q, json!({ "id": c["id"], "p": "+84912345678", "m": c["memberCode"].as_str().unwrap().to_lowercase() })).await;
        assert_eq!(res["data"]["customer"]["name"], "Phạm Quốc Bảo");
        assert_eq!(res["data"]["customerByPhone"]["name"], "Phạm Quốc Bảo");
        assert_eq!(res["data"]["customerByMemberCode"]["name"], "Phạm Quốc Bảo");
        let missing = app.gql("{ customer(id: \"424242\") { name } }", json!({})).await;
        assert_eq!(code(&missing), Some("NOT_FOUND"));
        let bad_id = app.gql("{ customer(id: \"abc\") { name } }", json!({})).await;
        assert_eq!(code(&bad_id), Some("BAD_USER_INPUT"));
        assert_eq!(field(&bad_id), Some("id"));
        let unknown = app.gql("{ customerByPhone(phone: \"0999999999\") { name } }", json!({})).await;
        assert!(unknown["data"]["customerByPhone"].is_null(), "{unknown}");
    }

    async fn updating_a_customer_records_the_change_in_the_timeline_and_audit(app) {
        let c = app.customer("Võ Thanh Tâm", "0933333333").await;
        let res = app.gql(
            "mutation($id: ID!, $i: UpdateCustomerInput!) { updateCustomer(id: $id, input: $i) { name email city phone } }",
            json!({ "id": c["id"], "i": { "name": "Võ Thanh Tâm (Tom)", "email": "tom@example.com", "city": "Huế", "phone": "+84 93 444 4444" } }),
        ).await;
        assert_eq!(res["data"]["updateCustomer"], json!({ "name": "Võ Thanh Tâm (Tom)", "email": "tom@example.com", "city": "Huế", "phone": "+84934444444" }));
        let cleared = app.gql(
            "mutation($id: ID!) { updateCustomer(id: $id, input: { email: null }) { email city } }",
            json!({ "id": c["id"] }),
        ).await;
        assert_eq!(cleared["data"]["updateCustomer"], json!({ "email": null, "city": "Huế" }));
        let tl = app.gql(
            "query($id: ID!) { customer(id: $id) { timeline(first: 10) { totalCount edges { node { kind summary actor } } } } }",
            json!({ "id": c["id"] }),
        ).await;
        let t = &tl["data"]["customer"]["timeline"];
        assert_eq!(t["totalCount"], 3);
        assert_eq!(t["edges"][0]["node"]["kind"], "customer.updated");
        assert_eq!(t["edges"][0]["node"]["summary"], "Profile updated: email");
        assert_eq!(t["edges"][2]["node"]["kind"], "customer.created");
        assert!(t["edges"][0]["node"]["actor"].as_str().unwrap().starts_with("user:"));
        let audit = app.gql(
            "query($id: String) { auditLog(filter: { entityType: \"customer\", entityId: $id }) { edges { node { action before after } } } }",
            json!({ "id": c["id"] }),
        ).await;
        let edges = audit["data"]["auditLog"]["edges"].as_array().unwrap().clone();
        assert_eq!(edges.len(), 3, "{audit}");
        assert_eq!(edges[1]["node"]["action"], "customer.update");
        assert_eq!(edges[1]["node"]["before"]["name"], "Võ Thanh Tâm");
        assert_eq!(edges[1]["node"]["after"]["name"], "Võ Thanh Tâm (Tom)");
        // A phone taken by someone else is a conflict, and nothing changes.
        app.customer("Other", "0955555555").await;
        let taken = app.gql(
            "mutation($id: ID!) { updateCustomer(id: $id, input: { phone: \"0955555555\", name: \"Changed\" }) { id } }",
            json!({ "id": c["id"] }),
        ).await;
        assert_eq!(code(&taken), Some("CONFLICT"));
        let again = app.gql("query($id: ID!) { customer(id: $id) { name phone } }", json!({ "id": c["id"] })).await;
        assert_eq!(again["data"]["customer"], json!({ "name": "Võ Thanh Tâm (Tom)", "phone": "+84934444444" }));
    }

    async fn search_matches_names_without_accents_phone_fragments_emails_and_member_codes(app) {
        app.customer("Nguyễn Thị Hương", "0901000001").await;
        app.customer("Trần Văn Hùng", "0912000002").await;
        let c = app.customer("Lê Hoàng Yến", "0983000003").await;
        let search = |s: &str| app.gql("query($s: String) { customers(search: $s) { totalCount edges { node { name } } } }", json!({ "s": s }));
        assert_eq!(search("huong").await["data"]["customers"]["edges"][0]["node"]["name"], "Nguyễn Thị Hương");
        assert_eq!(search("HÙNG").await["data"]["customers"]["totalCount"], 1);
        assert_eq!(search("0912").await["data"]["customers"]["edges"][0]["node"]["name"], "Trần Văn Hùng");
        assert_eq!(search("83000003").await["data"]["customers"]["totalCount"], 1);
        assert_eq!(search(c["memberCode"].as_str().unwrap()).await["data"]["customers"]["totalCount"], 1);
        assert_eq!(search("nguyen huong").await["data"]["customers"]["totalCount"], 1);
        assert_eq!(search("nobody").await["data"]["customers"]["totalCount"], 0);
        assert_eq!(search("%").await["data"]["customers"]["totalCount"], 3, "wildcards are not special");
    }

    async fn pages_follow_each_other_without_gaps_or_repeats_in_every_order(app) {
        for i in 0..7 {
            app.customer(&format!("Khách {}", (b'A' + (i * 3 % 7) as u8) as char), &format!("09050000{i:02}")).await;
        }
        for sort in ["CREATED_DESC", "CREATED_ASC", "NAME_ASC", "NAME_DESC"] {
            let mut seen = Vec::new();
            let mut after: Option<String> = None;
            loop {
                let res = app.gql(
                    "query($a: String, $s: CustomerSort) { customers(first: 3, after: $a, sort: $s) { edges { node { name } } pageInfo { hasNextPage endCursor } } }",
                    json!({ "a": after, "s": sort }),
                ).await;
                let conn = &res["data"]["customers"];
                for e in conn["edges"].as_array().unwrap() {
                    seen.push(e["node"]["name"].as_str().unwrap().to_owned());
                }
                if conn["pageInfo"]["hasNextPage"] != true { break; }
                after = conn["pageInfo"]["endCursor"].as_str().map(str::to_owned);
            }
            assert_eq!(seen.len(), 7, "{sort}: {seen:?}");
            let mut sorted = seen.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted.len(), 7, "{sort}: no repeats");
            if sort == "NAME_ASC" { assert_eq!(seen, sorted); }
        }
        let bad = app.gql("{ customers(after: \"garbage\") { totalCount } }", json!({})).await;
        assert_eq!(code(&bad), Some("BAD_USER_INPUT"));
        assert_eq!(field(&bad), Some("after"));
        let too_many = app.gql("{ customers(first: 1000) { totalCount } }", json!({})).await;
        assert_eq!(code(&too_many), Some("BAD_USER_INPUT"));
    }

    async fn filters_narrow_by_tier_status_tags_and_agent(app) {
        let (agent_id, _) = app.staff("AGENT").await;
        let res = app.gql(
            "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }",
            json!({ "i": { "name": "Tagged", "phone": "0906000001", "tags": ["vip"], "assignedAgentId": agent_id } }),
        ).await;
        let tagged = res["data"]["createCustomer"]["id"].clone();
        app.customer("Plain", "0906000002").await;
        app.gql(
            "mutation($id: ID!) { updateCustomer(id: $id, input: { status: SUSPICIOUS }) { id } }",
            json!({ "id": tagged }),
        ).await;
        let count = |filter: serde_json::Value| app.gql("query($f: CustomerFilter) { customers(filter: $f) { totalCount } }", json!({ "f": filter }));
        assert_eq!(count(json!({ "tags": ["vip"] })).await["data"]["customers"]["totalCount"], 1);
        assert_eq!(count(json!({ "tags": ["vi"] })).await["data"]["customers"]["totalCount"], 0, "whole tags only");
        assert_eq!(count(json!({ "statuses": ["SUSPICIOUS"] })).await["data"]["customers"]["totalCount"], 1);
        assert_eq!(count(json!({ "tiers": ["NEW"] })).await["data"]["customers"]["totalCount"], 2);
        assert_eq!(count(json!({ "tiers": ["GOLD"] })).await["data"]["customers"]["totalCount"], 0);
        assert_eq!(count(json!({ "assignedAgentId": agent_id })).await["data"]["customers"]["totalCount"], 1);
        assert_eq!(count(json!({ "unassigned": true })).await["data"]["customers"]["totalCount"], 1);
        let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
        assert_eq!(count(json!({ "createdFrom": tomorrow })).await["data"]["customers"]["totalCount"], 0);
    }

    async fn an_agent_sees_only_the_customers_assigned_to_them(app) {
        let (agent_id, agent) = app.staff("AGENT").await;
        let (_, other_agent) = app.staff("AGENT").await;
        let mine = app.gql_as(Some(&agent),
            "mutation { createCustomer(input: { name: \"Mine\", phone: \"0907000001\" }) { id assignedAgent { id } } }",
            json!({})).await;
        assert_eq!(mine["data"]["createCustomer"]["assignedAgent"]["id"], agent_id, "an agent's new customer is theirs");
        let theirs = app.customer("Not mine", "0907000002").await;
        let list = app.gql_as(Some(&agent), "{ customers { totalCount edges { node { name } } } }", json!({})).await;
        assert_eq!(list["data"]["customers"]["totalCount"], 1);
        assert_eq!(list["data"]["customers"]["edges"][0]["node"]["name"], "Mine");
        let forbidden = app.gql_as(Some(&agent), "query($id: ID!) { customer(id: $id) { name } }", json!({ "id": theirs["id"] })).await;
        assert_eq!(code(&forbidden), Some("FORBIDDEN"), "{forbidden}");
        assert!(forbidden["data"].is_null() || forbidden["data"]["customer"].is_null());
        let by_phone = app.gql_as(Some(&agent), "{ customerByPhone(phone: \"0907000002\") { name } }", json!({})).await;
        assert_eq!(code(&by_phone), Some("FORBIDDEN"));
        let update = app.gql_as(Some(&other_agent), "query($id: ID!) { customer(id: $id) { name } }", json!({ "id": mine["data"]["createCustomer"]["id"] })).await;
        assert_eq!(code(&update), Some("FORBIDDEN"));
        let reassign = app.gql_as(Some(&agent),
            "mutation($id: ID!) { updateCustomer(id: $id, input: { assignedAgentId: null }) { id } }",
            json!({ "id": mine["data"]["createCustomer"]["id"] })).await;
        assert_eq!(code(&reassign), Some("FORBIDDEN"), "only managers reassign");
    }

    async fn notes_are_added_pinned_and_listed_pinned_first(app) {
        let c = app.customer("Đỗ Minh Khoa", "0908000001").await;
        let add = |body: &str, pinned: bool| app.gql(
            "mutation($c: ID!, $b: String!, $p: Boolean!) { addCustomerNote(customerId: $c, body: $b, pinned: $p) { id body pinned author { email } } }",
            json!({ "c": c["id"], "b": body, "p": pinned }),
        );
        let first = add("Prefers calls after 6 PM", false).await;
        assert_eq!(first["data"]["addCustomerNote"]["author"]["email"], crate::helpers::ADMIN_EMAIL);
        add("Second note", false).await;
        let empty = add("   ", false).await;
        assert_eq!(code(&empty), Some("BAD_USER_INPUT"));
        assert_eq!(field(&empty), Some("body"));
        let pin = app.gql(
            "mutation($n: ID!) { pinCustomerNote(noteId: $n, pinned: true) { pinned } }",
            json!({ "n": first["data"]["addCustomerNote"]["id"] }),
        ).await;
        assert_eq!(pin["data"]["pinCustomerNote"]["pinned"], true);
        let notes = app.gql("query($id: ID!) { customer(id: $id) { notes { body pinned } timeline { totalCount } } }", json!({ "id": c["id"] })).await;
        assert_eq!(notes["data"]["customer"]["notes"], json!([
            { "body": "Prefers calls after 6 PM", "pinned": true },
            { "body": "Second note", "pinned": false },
        ]));
        assert_eq!(notes["data"]["customer"]["timeline"]["totalCount"], 4, "created, 2 notes, pinned");
    }
}
