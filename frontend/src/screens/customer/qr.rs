//! The customer's transfer code as a QR code, for bank transfers.

use leptos::prelude::*;
use qrcode::{QrCode, render::svg};

/// The code, its QR image and what it is for.
#[component]
pub fn TransferCode(code: String) -> impl IntoView {
    let image = QrCode::new(code.as_bytes()).ok().map(|qr| {
        qr.render::<svg::Color>()
            .min_dimensions(140, 140)
            .dark_color(svg::Color("#111111"))
            .light_color(svg::Color("#ffffff"))
            .build()
    });
    view! {
        <section class="card card-body transfer-code">
            <h2 class="card-title">"Transfer code"</h2>
            <div class="transfer-code-body">
                {image.map(|svg| view! { <div class="qr" role="img" aria-label="QR code of the transfer code" inner_html=svg></div> })}
                <div>
                    <p class="mono transfer-code-text" id="transfer-code">{code}</p>
                    <p class="muted">"Bank transfers with this code in their content are credited to this wallet."</p>
                </div>
            </div>
        </section>
    }
}
