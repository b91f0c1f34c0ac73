// The sealed-secret box moved to features/secrets.ts (proxy projects and replication rules share it).
export { KEY_FILE, SecretBox, secretBoxFor } from '../secrets.ts';
