import type { ProtectionDefinition } from '../pipeline/protection.ts';
import { ipList } from './ip-list/ip-list.ts';
import { methodRestriction } from './method-restriction/method-restriction.ts';
import { attackDetection } from './attack-detection/attack-detection.ts';

/**
 * Every protection, in the order they run within a phase. Adding a protection is one folder and one line here;
 * there is no discovery from the file system.
 */
export const PROTECTIONS: readonly ProtectionDefinition<any>[] = [
  ipList,
  methodRestriction,
  attackDetection,
];
