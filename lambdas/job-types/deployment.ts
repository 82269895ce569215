/**
 * The job types as a deployment runs them: built with its senders and its
 * defaults from the configuration. Imported only by what runs jobs (the api and
 * worker entry points, the twin), so the other functions load no payload schema.
 */
import type { Config } from '../config';
import { SesMailer } from '../senders/ses-mailer';
import { SnsTexter } from '../senders/sns-texter';
import { createJobTypes, type JobTypes } from './registry';
import type { Senders } from './senders';

/** The senders of a Lambda: SES for `email`, SNS for `sms`. */
export function awsSenders(): Senders {
  return { mailer: new SesMailer(), texter: new SnsTexter() };
}

/** The job types, built with `senders` and the deployment's defaults from `config`. */
export function jobTypesFor(config: Config, senders: Senders = awsSenders()): JobTypes {
  return createJobTypes({ ...senders, emailFrom: config.emailFrom, smsSenderId: config.smsSenderId });
}
