/**
 * The table's key and TTL attributes: Powertools Idempotency's defaults, which the function's
 * delivery records and its project-names item both use. They live beside the function that reads
 * and writes them; the stack (infra/) and the tests that create the same table locally read them here.
 */
export const IDEMPOTENCY_TABLE_KEY = 'id';
export const IDEMPOTENCY_TTL_ATTRIBUTE = 'expiration';
