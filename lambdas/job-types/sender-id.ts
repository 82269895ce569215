/**
 * An alphanumeric SMS sender id, as SNS takes it: the `sms` payload's
 * `senderId` and `SMS_SENDER_ID`. Free of zod so config.ts (zod/mini) and
 * sms.ts (classic zod) check it alike.
 */
export const SENDER_ID = /^(?=.*[A-Za-z])[A-Za-z0-9]{1,11}$/;
export const SENDER_ID_MESSAGE = 'must be 1..11 letters and digits, at least one letter';
