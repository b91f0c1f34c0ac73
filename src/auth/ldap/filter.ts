// LDAP search filters from templates (pure). A value put into a filter is escaped as RFC 4515
// says (section 3: "*", "(", ")", "\" and NUL as \XX, and every byte that is not printable
// ASCII), so a user name such as `*)(uid=*` matches that literal name and nothing else.

/** Escapes a value for use inside an LDAP filter's assertion value. */
export function escapeFilterValue(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    // Printable ASCII other than the specials passes through; everything else is \XX.
    if (byte >= 0x20 && byte < 0x7f && byte !== 0x2a && byte !== 0x28 && byte !== 0x29 && byte !== 0x5c) out += String.fromCharCode(byte);
    else out += `\\${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/**
 * Fills a template's {name} placeholders with escaped values: `(uid={username})` with
 * {username: 'a*'} is `(uid=a\2a)`. An unknown placeholder is an error, not left in.
 */
export function expandFilter(template: string, values: Readonly<Record<string, string>>): string {
  const filled = template.replace(/\{([a-z]+)\}/gi, (whole, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`LDAP filter ${template}: unknown placeholder ${whole}`);
    return escapeFilterValue(value);
  });
  return filled.startsWith('(') ? filled : `(${filled})`;
}

/** Why a user name is refused before the directory is asked (empty, too long, control characters). */
export function ldapUsernameProblem(name: string): string | undefined {
  if (name.length === 0 || name.length > 256) return 'a user name has 1 to 256 characters';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'a user name has no control characters';
  return undefined;
}
