//! The OpenAPI document, generated from the handlers and request types (utoipa). docs/openapi.json
//! is this document; a test keeps the file in step with the code.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(title = "Till server API", version = "1", description = "Signed, idempotent endpoints of Till's reference remote server. The prose contract is docs/api.md."),
    paths(
        crate::routes::lookups::ping,
        crate::routes::terminals::post_terminal_enrol,
        crate::routes::authorize,
        crate::routes::post_payment_reversal,
        crate::routes::payment_codes::post_code,
        crate::routes::payment_codes::get_code,
        crate::routes::post_sale,
        crate::routes::lookups::line_code,
        crate::routes::lookups::sold_device,
        crate::routes::post_refund,
        crate::routes::refund_check::check,
        crate::routes::refund_photos::post_photo,
        crate::routes::lookups::refund,
        crate::routes::lookups::customer,
        crate::routes::post_enrol,
        crate::routes::post_points_update,
        crate::routes::post_points_reversal,
        crate::routes::lookups::points_account,
        crate::routes::batch::batch,
        crate::routes::merchant_orders::post_order,
        crate::routes::merchant_orders::get_order,
        crate::routes::merchant_orders::cancel_order,
        crate::routes::pending_orders::list,
        crate::routes::pending_orders::reserve,
        crate::routes::pending_orders::release,
        crate::routes::catalogue::changes,
        crate::routes::services::providers,
        crate::routes::services::follow,
        crate::routes::services::start,
        crate::routes::services::message,
        crate::routes::device_services::device_key,
        crate::routes::device_services::device,
        crate::routes::device_services::post_service_order,
        crate::routes::device_services::post_software_update,
    ),
    modifiers(&Signature)
)]
pub struct ApiDoc;

struct Signature;

/// Routes outside the signing check: neither the request nor the answer is signed.
const UNSIGNED_PATHS: &[&str] = &[
    crate::routes::terminals::ENROL_PATH,
    crate::routes::merchant_orders::ORDERS_PATH,
    "/v1/merchant/orders/{order_id}",
    "/v1/merchant/orders/{order_id}/cancel",
];

impl Modify for Signature {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "till_signature",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Till-Signature",
                "base64(HMAC-SHA256(secret, METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nhex(SHA-256(body)))), with X-Till-Terminal, X-Till-Timestamp and X-Till-Nonce",
            ))),
        );
        components.add_security_scheme(
            "merchant_key",
            SecurityScheme::Http(utoipa::openapi::security::Http::new(
                utoipa::openapi::security::HttpAuthScheme::Bearer,
            )),
        );
        // Every answer to a request that passed the signing check is signed back; a 401 is not
        // (the server does not know whose secret to sign with).
        let mut signed = utoipa::openapi::header::Header::new(
            utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::schema::Type::String),
        );
        signed.description = Some(
            "base64(HMAC-SHA256(terminal secret, RESPONSE\\nX-Till-Nonce\\nstatus\\nhex(SHA-256(body))\\nX-Till-Timestamp)); the till refuses an answer without a valid one (docs/api.md, Signed answers)".into(),
        );
        for (path, item) in openapi.paths.paths.iter_mut() {
            if UNSIGNED_PATHS.contains(&path.as_str()) {
                continue;
            }
            for op in [&mut item.get, &mut item.post, &mut item.put, &mut item.delete].into_iter().flatten() {
                for (status, response) in op.responses.responses.iter_mut() {
                    if let (false, utoipa::openapi::RefOr::T(r)) = (status == "401", response) {
                        r.headers.insert("X-Till-Response-Signature".to_string(), signed.clone());
                    }
                }
            }
        }
    }
}

/// The document as pretty JSON, ending in a newline.
pub fn json() -> String {
    let mut s = ApiDoc::openapi().to_pretty_json().unwrap_or_default();
    s.push('\n');
    s
}
