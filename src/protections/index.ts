import type { ProtectionDefinition } from '../pipeline/protection.ts';
import { ipList } from './ip-list/ip-list.ts';
import { methodRestriction } from './method-restriction/method-restriction.ts';
import { attackDetection } from './attack-detection/attack-detection.ts';
import { floodDefence } from './flood-defence/flood-defence.ts';
import { jwt } from './jwt/jwt.ts';
import { rateLimit } from './rate-limit/rate-limit.ts';
import { clientCertificate } from './client-certificate/client-certificate.ts';
import { requestValidation } from './request-validation/request-validation.ts';
import { identifierCloaking } from './identifier-cloaking/identifier-cloaking.ts';
import { responseCloaking } from './response-cloaking/response-cloaking.ts';

/**
 * Every protection, in the order they run within a phase. Adding a protection is one folder and one line here;
 * there is no discovery from the file system.
 */
export const PROTECTIONS: readonly ProtectionDefinition<any>[] = [
  ipList,
  floodDefence, // before method restriction: a flood of undeclared paths counts too
  methodRestriction,
  jwt, // before rate limiting and identifier cloaking: they use the principal it sets
  clientCertificate, // after jwt (its principal wins), before rate limiting (which may count by principal)
  rateLimit, // after jwt: limits may count by principal
  identifierCloaking, // after jwt and clientCertificate (tokens are bound to their principal), before request validation
  requestValidation, // after identifier cloaking (it validates the decoded identifiers), before attack detection
  attackDetection,
  responseCloaking, // last: response hooks rewrite what the upstream sent, after every request-side decision
];
