/** Lambda entry point of webhook delivery (SQS webhooks queue, partial batch responses). */
import { createServiceContext } from './service-context';
import { createWebhookHandler } from './webhooks/delivery';

export const handler = createWebhookHandler(createServiceContext());
