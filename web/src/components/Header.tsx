// The header: brand, the search box (results as you type: on the explore page it drives the
// list; elsewhere it opens a suggestion list), navigation and the account menu.
import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { qs } from '../api.ts';
import { excerpt } from '../format.ts';
import { useDebounced, useFetch } from '../hooks.ts';
import { Link, navigate, paths, useLocation } from '../router.tsx';
import { useSession } from '../session.tsx';
import type { SearchAnswer } from '../types.ts';
import { Badges } from './Badges.tsx';

function isExplore(path: string): boolean {
  return path === '/' || path === '/search';
}

export function Header() {
  const { path, query } = useLocation();
  const { me, signOut } = useSession();
  const onExplore = isExplore(path);
  const urlQ = onExplore ? (query.get('q') ?? '') : '';
  const [text, setText] = useState(urlQ);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const [menu, setMenu] = useState(false);
  const listId = useId();
  const boxRef = useRef<HTMLDivElement>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const debounced = useDebounced(text.trim(), 250);

  // The URL is the truth on the explore page (back/forward, links).
  useEffect(() => {
    if (onExplore) setText(urlQ);
  }, [onExplore, urlQ]);

  // On the explore page, typing updates the query in the URL (replace: one history entry per search).
  useEffect(() => {
    if (!onExplore) return;
    const current = new URLSearchParams(window.location.search);
    if ((current.get('q') ?? '') === debounced) return;
    if (debounced) current.set('q', debounced);
    else current.delete('q');
    current.delete('page');
    const s = current.toString();
    navigate(`/search${s ? `?${s}` : ''}`, { replace: true });
  }, [debounced, onExplore]);

  const suggest = !onExplore && open && debounced.length > 0;
  const suggestions = useFetch<SearchAnswer>(suggest ? `/search${qs({ q: debounced, n: 6 })}` : null);
  const results = suggest ? (suggestions.data?.results ?? []) : [];

  useEffect(() => {
    setActive(-1);
  }, [debounced]);

  useEffect(() => {
    const close = (e: MouseEvent) => {
      if (!boxRef.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', close);
    return () => document.removeEventListener('mousedown', close);
  }, []);

  useEffect(() => {
    setMenu(false);
    setOpen(false);
  }, [path]);

  // The account menu: focus moves to its first item; Escape or a click outside closes it.
  const menuRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!menu) return;
    menuRef.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus();
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (e.key === 'Escape') {
        setMenu(false);
        menuRef.current?.querySelector<HTMLElement>('button[aria-haspopup]')?.focus();
      }
    };
    const onClick = (e: MouseEvent) => {
      if (!menuRef.current?.contains(e.target as Node)) setMenu(false);
    };
    document.addEventListener('keydown', onKey);
    document.addEventListener('mousedown', onClick);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('mousedown', onClick);
    };
  }, [menu]);

  const submit = () => {
    setOpen(false);
    if (active >= 0 && results[active]) {
      navigate(paths.repository(results[active]!.name));
      return;
    }
    navigate(paths.search(text.trim()));
  };

  const onKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'ArrowDown' && results.length) {
      e.preventDefault();
      setOpen(true);
      setActive((a) => (a + 1) % results.length);
    } else if (e.key === 'ArrowUp' && results.length) {
      e.preventDefault();
      setActive((a) => (a <= 0 ? results.length - 1 : a - 1));
    } else if (e.key === 'Escape') {
      setOpen(false);
      setActive(-1);
    }
  };

  // "/" focuses the search box, as on GitHub and Docker Hub.
  useEffect(() => {
    const onSlash = (e: globalThis.KeyboardEvent) => {
      const t = e.target as HTMLElement;
      if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
      if (t.closest('input, textarea, select, [contenteditable="true"]')) return;
      e.preventDefault();
      inputRef.current?.focus();
    };
    document.addEventListener('keydown', onSlash);
    return () => document.removeEventListener('keydown', onSlash);
  }, []);

  const here = path + (typeof window !== 'undefined' ? window.location.search : '');

  return (
    <header className="header">
      <div className="header-inner">
        <Link to="/" className="brand" aria-label="Berth home">
          <svg viewBox="0 0 32 32" aria-hidden="true" className="brand-mark">
            <rect width="32" height="32" rx="7" fill="#2f6bff" />
            <path d="M6 19h20l-3 6H9z" fill="#fff" />
            <rect x="9" y="12" width="5" height="5" rx="1" fill="#b9d0ff" />
            <rect x="15" y="12" width="5" height="5" rx="1" fill="#fff" />
            <rect x="15" y="6" width="5" height="5" rx="1" fill="#b9d0ff" />
          </svg>
          <span>Berth</span>
        </Link>

        <div className="search" ref={boxRef} role="search">
          <form
            onSubmit={(e) => {
              e.preventDefault();
              submit();
            }}
          >
            <label htmlFor="global-search" className="sr-only">
              Search repositories
            </label>
            <svg className="search-icon" viewBox="0 0 16 16" aria-hidden="true">
              <circle cx="7" cy="7" r="4.8" fill="none" stroke="currentColor" strokeWidth="1.6" />
              <path d="m10.6 10.6 3.6 3.6" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" />
            </svg>
            <input
              id="global-search"
              ref={inputRef}
              type="search"
              placeholder="Search repositories"
              autoComplete="off"
              spellCheck={false}
              value={text}
              role="combobox"
              aria-expanded={suggest && results.length > 0}
              aria-controls={listId}
              aria-autocomplete="list"
              aria-activedescendant={active >= 0 ? `${listId}-${active}` : undefined}
              onChange={(e) => {
                setText(e.target.value);
                setOpen(true);
              }}
              onFocus={() => setOpen(true)}
              onKeyDown={onKey}
            />
            <kbd className="search-kbd" aria-hidden="true">
              /
            </kbd>
          </form>
          {suggest && (results.length > 0 || (!suggestions.loading && suggestions.data)) && (
            <ul className="suggestions" id={listId} role="listbox" aria-label="Matching repositories">
              {results.map((r, i) => (
                <li key={r.name} id={`${listId}-${i}`} role="option" aria-selected={i === active} className={i === active ? 'active' : ''}>
                  <Link to={paths.repository(r.name)} tabIndex={-1} onClick={() => setOpen(false)}>
                    <span className="suggestion-name">{r.name}</span>
                    <Badges badges={r.badges} />
                    {r.description && <span className="suggestion-desc">{excerpt(r.description, 80)}</span>}
                  </Link>
                </li>
              ))}
              {results.length === 0 && <li className="suggestion-none">No repositories match “{debounced}”</li>}
              <li className="suggestion-all">
                <Link to={paths.search(debounced)} tabIndex={-1} onClick={() => setOpen(false)}>
                  See all results for “{debounced}”
                </Link>
              </li>
            </ul>
          )}
        </div>

        <nav className="nav" aria-label="Main">
          <Link to="/search" className={onExplore ? 'active' : ''} aria-current={onExplore ? 'page' : undefined}>
            Explore
          </Link>
          {me && (
            <Link to="/projects" className={path.startsWith('/projects') ? 'active' : ''} aria-current={path === '/projects' ? 'page' : undefined}>
              Projects
            </Link>
          )}
          {me?.admin && (
            <Link to="/admin" className={path.startsWith('/admin') ? 'active' : ''} aria-current={path.startsWith('/admin') ? 'page' : undefined}>
              Admin
            </Link>
          )}
        </nav>

        <div className="account">
          {me === undefined ? null : me ? (
            <div className="menu" ref={menuRef}>
              <button type="button" className="avatar-button" aria-haspopup="menu" aria-expanded={menu} onClick={() => setMenu((m) => !m)} aria-label={`Account: ${me.name}`}>
                <span className="avatar" aria-hidden="true">
                  {me.name.slice(0, 1).toUpperCase()}
                </span>
                <span className="account-name">{me.name}</span>
              </button>
              {menu && (
                <div
                  className="menu-list"
                  role="menu"
                  aria-label="Account"
                  onKeyDown={(e) => {
                    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
                    e.preventDefault();
                    const items = [...e.currentTarget.querySelectorAll<HTMLElement>('[role="menuitem"]')];
                    const at = items.indexOf(document.activeElement as HTMLElement);
                    items[(at + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length]?.focus();
                  }}
                >
                  <div className="menu-head">
                    Signed in as <strong>{me.name}</strong>
                    {me.admin && <span className="badge badge-admin">Admin</span>}
                  </div>
                  <Link to="/projects" role="menuitem">
                    Your projects
                  </Link>
                  {me.kind === 'user' && (
                    <Link to={paths.project(me.name)} role="menuitem">
                      Personal project
                    </Link>
                  )}
                  {me.kind === 'user' && (
                    <Link to={paths.account()} role="menuitem">
                      Account settings
                    </Link>
                  )}
                  <button
                    type="button"
                    role="menuitem"
                    onClick={async () => {
                      setMenu(false);
                      await signOut();
                      navigate('/');
                    }}
                  >
                    Sign out
                  </button>
                </div>
              )}
            </div>
          ) : path === '/signin' ? null : (
            <Link to={paths.signIn(here)} className="btn btn-primary btn-small">
              Sign in
            </Link>
          )}
        </div>
      </div>
    </header>
  );
}
