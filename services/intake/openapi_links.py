"""The links of intake's OpenAPI document (shared/http/openapi_links.py): a submitted case is read, read as
FHIR and withdrawn by the `case_id` of its receipt; a webhook is listed, deleted and its deliveries retried
by its `webhook_id`, under the same X-Client-Id."""

from shared.http.openapi_links import Link, fan_out

SUBMIT_CASE = "submit_case_v1_cases_post"
SUBMIT_BUNDLE = "submit_fhir_bundle_v1_fhir_Bundle_post"
GET_CASE = "get_case_v1_cases__case_id__get"
GET_CASE_FHIR = "get_case_fhir_v1_cases__case_id__fhir_get"
WITHDRAW_CASE = "withdraw_case_v1_cases__case_id__delete"
CREATE_WEBHOOK = "create_webhook_v1_webhooks_post"
LIST_WEBHOOKS = "list_webhooks_v1_webhooks_get"
DELETE_WEBHOOK = "delete_webhook_v1_webhooks__webhook_id__delete"
LIST_DELIVERIES = "list_deliveries_v1_webhooks__webhook_id__deliveries_get"
RETRY_DELIVERY = "retry_delivery_v1_webhooks__webhook_id__deliveries__delivery_id__retry_post"

RECEIPT = ("202", "200")
THE_CASE = {"case_id": "$response.body#/case_id"}
CASE_OPERATIONS = {"GetCase": GET_CASE, "GetCaseFhir": GET_CASE_FHIR, "WithdrawCase": WITHDRAW_CASE}
SAME_CLIENT = {"X-Client-Id": "$request.header.X-Client-Id"}
WEBHOOK_OPERATIONS = {"ListDeliveries": LIST_DELIVERIES, "DeleteWebhook": DELETE_WEBHOOK}

INTAKE_LINKS: tuple[Link, ...] = (
    *fan_out(SUBMIT_CASE, RECEIPT, THE_CASE, CASE_OPERATIONS),
    *fan_out(SUBMIT_BUNDLE, RECEIPT, THE_CASE, CASE_OPERATIONS),
    *fan_out(WITHDRAW_CASE, RECEIPT, THE_CASE, {"GetCase": GET_CASE}),
    *fan_out(
        CREATE_WEBHOOK,
        ("201",),
        {"webhook_id": "$response.body#/webhook_id", **SAME_CLIENT},
        WEBHOOK_OPERATIONS,
    ),
    *fan_out(
        LIST_WEBHOOKS,
        ("200",),
        {"webhook_id": "$response.body#/0/webhook_id", **SAME_CLIENT},
        WEBHOOK_OPERATIONS,
    ),
    Link(
        LIST_DELIVERIES,
        ("200",),
        "RetryDelivery",
        RETRY_DELIVERY,
        {
            "webhook_id": "$request.path.webhook_id",
            "delivery_id": "$response.body#/0/delivery_id",
            **SAME_CLIENT,
        },
    ),
)
