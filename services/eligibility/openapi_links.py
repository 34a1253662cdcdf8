"""The links of eligibility's OpenAPI document (shared/http/openapi_links.py): a recommendation, stored or
what-if, leads to the concordance report of the ruleset that made it. (Recommendations are made from
intake's case events, so nothing in this document creates the case a recommendation is read by.)"""

from shared.http.openapi_links import Link

EVALUATE = "evaluate_what_if_v1_evaluate_post"
GET_RECOMMENDATION = "get_recommendation_v1_recommendations__case_id__get"
GET_CONCORDANCE = "get_concordance_v1_concordance_get"

THE_RULESET = {"ruleset_version": "$response.body#/ruleset_version"}

ELIGIBILITY_LINKS: tuple[Link, ...] = (
    Link(EVALUATE, ("200",), "ConcordanceOfTheRuleset", GET_CONCORDANCE, THE_RULESET),
    Link(GET_RECOMMENDATION, ("200",), "ConcordanceOfTheRuleset", GET_CONCORDANCE, THE_RULESET),
)
