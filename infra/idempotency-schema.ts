/**
 * The idempotency table's key and TTL attributes, shared by the stack and the tests that create the
 * same table locally. They are Powertools Idempotency's defaults.
 */
export const IDEMPOTENCY_TABLE_KEY = 'id';
export const IDEMPOTENCY_TTL_ATTRIBUTE = 'expiration';
