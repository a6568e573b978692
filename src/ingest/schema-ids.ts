/** `$id`s of the JSON Schemas in schemas/, as routes and the validator refer to them. */
export const SCHEMA_BASE = 'https://scim-inbound.dev/schemas/'
export const BULK_REQUEST_SCHEMA_ID = `${SCHEMA_BASE}bulk-request.json`
