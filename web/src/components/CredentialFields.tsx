// The fields robots and access tokens share: which registry actions the credential may use, and
// when it expires. The order of the expiry choices is the caller's (tokens default to a day,
// robots to never).
import type { Dispatch, SetStateAction } from 'react';

export const ACTIONS = ['pull', 'push', 'delete'] as const;
export type Permissions = Record<string, boolean>;

const EXPIRIES: Record<string, string> = { '': 'Never', '1d': '1 day', '30d': '30 days', '90d': '90 days', '365d': '1 year' };

export function PermissionChecks({ perms, setPerms }: { perms: Permissions; setPerms: Dispatch<SetStateAction<Permissions>> }) {
  return (
    <fieldset className="field">
      <legend>Permissions</legend>
      <div className="checks">
        {ACTIONS.map((p) => (
          <label key={p} className="check">
            <input type="checkbox" checked={!!perms[p]} onChange={(e) => setPerms((x) => ({ ...x, [p]: e.target.checked }))} />
            {p}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

/** `order` lists the choices by key ('' is never), first shown first. */
export function ExpirySelect({ id, value, onChange, order }: { id: string; value: string; onChange: (v: string) => void; order: readonly string[] }) {
  return (
    <div className="field">
      <label htmlFor={id}>Expires in</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        {order.map((k) => <option key={k} value={k}>{EXPIRIES[k]}</option>)}
      </select>
    </div>
  );
}
