import { Link } from '../router.tsx';

export interface Tab {
  id: string;
  label: string;
  to: string;
  count?: number;
}

export function Tabs({ tabs, active, label }: { tabs: Tab[]; active: string; label: string }) {
  return (
    <nav className="tabs" aria-label={label}>
      {tabs.map((t) => (
        <Link key={t.id} to={t.to} className={`tab ${t.id === active ? 'active' : ''}`} aria-current={t.id === active ? 'page' : undefined}>
          {t.label}
          {t.count !== undefined && <span className="tab-count">{t.count.toLocaleString('en')}</span>}
        </Link>
      ))}
    </nav>
  );
}
