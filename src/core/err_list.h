/*
 * The one table of kinship's errors: name, HTTP status, stable `type` string
 * and default message. It is the only place where an error becomes a status.
 * A name or type string, once released, keeps its meaning forever: add rows,
 * never renumber or reuse them.
 */
#define ERR_MAP(X)                                                                                 \
    X(OK, 200, "Ok", "ok")                                                                         \
    X(INVALID_JSON, 400, "InvalidJson", "request body is not valid JSON")                          \
    X(INVALID_BODY, 400, "InvalidRequestBody", "request body must be a JSON object")               \
    X(FIELD_MISSING, 400, "MissingField", "a required field is missing")                           \
    X(FIELD_INVALID, 400, "InvalidField", "a field has an invalid value")                          \
    X(PARAM_INVALID, 400, "InvalidQueryParameter", "a query parameter has an invalid value")       \
    X(CURSOR_INVALID, 400, "InvalidCursor", "the pagination cursor is not valid")                  \
    X(VERSION_UNKNOWN, 400, "UnrecognisedApiVersion", "unrecognised Sequence-Version")             \
    X(CUSTOMER_NOT_FOUND, 400, "CustomerNotFound", "one or more customers do not exist")           \
    X(CUSTOMER_ARCHIVED, 400, "CustomerArchived", "one or more customers are archived")            \
    X(LIMIT_EXCEEDED, 400, "LimitExceeded", "a configured limit was exceeded")                     \
    X(IDEMPOTENCY_KEY_INVALID, 400, "InvalidIdempotencyKey", "Idempotency-Key is not valid")       \
    X(HEADER_INVALID, 400, "InvalidHeader", "a request header is not valid")                       \
    X(UNAUTHORIZED, 401, "Unauthorized", "missing or invalid API credentials")                     \
    X(NOT_FOUND, 404, "NotFound", "no such resource")                                              \
    X(ROUTE_NOT_FOUND, 404, "RouteNotFound", "no such route")                                      \
    X(METHOD_NOT_ALLOWED, 405, "MethodNotAllowed", "method not allowed on this route")             \
    X(ORGANIZATION_EXISTS, 409, "OrganizationAlreadyExists",                                       \
      "the customer already owns an organization")                                                 \
    X(HIERARCHY_CYCLE, 409, "HierarchyCycle",                                                      \
      "the change would make a customer a member under itself")                                    \
    X(ALIAS_EXISTS, 409, "AliasAlreadyExists", "the alias value is already in use")                \
    X(IDEMPOTENCY_CONFLICT, 409, "IdempotencyKeyReused",                                           \
      "the Idempotency-Key was used with a different request")                                     \
    X(CONFLICT, 409, "Conflict", "the request conflicts with the current state")                   \
    X(PAYLOAD_TOO_LARGE, 413, "PayloadTooLarge", "request body is too large")                      \
    X(UNSUPPORTED_MEDIA_TYPE, 415, "UnsupportedMediaType",                                         \
      "request body must be application/json")                                                     \
    X(RATE_LIMITED, 429, "RateLimited", "too many requests")                                       \
    X(HEADERS_TOO_LARGE, 431, "RequestHeaderFieldsTooLarge", "request headers are too large")      \
    X(INTERNAL, 500, "InternalError", "internal error")                                            \
    X(UNAVAILABLE, 503, "ServiceUnavailable", "the store is unavailable, retry later")             \
    X(PATH_PARAM_INVALID, 400, "InvalidPathParameter", "a path parameter has an invalid value")    \
    X(ANSWER_TOO_LARGE, 422, "AnswerTooLarge",                                                     \
      "the answer would be larger than the server's answer limit")                                 \
    X(DEPTH_LIMIT, 409, "HierarchyTooDeep",                                                        \
      "the change would make the hierarchy deeper than the configured limit")
