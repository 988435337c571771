/** The idempotency table's key and TTL attributes, as the function that uses them defines them. */
export { IDEMPOTENCY_TABLE_KEY, IDEMPOTENCY_TTL_ATTRIBUTE } from '../functions/report/table-schema';
