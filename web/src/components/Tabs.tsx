import { useEffect, useRef } from 'react';
import { Link } from '../router.tsx';

export interface Tab {
  id: string;
  label: string;
  to: string;
  count?: number;
}

export function Tabs({ tabs, active, label }: { tabs: Tab[]; active: string; label: string }) {
  const ref = useRef<HTMLElement>(null);
  // On a phone the tab bar scrolls sideways: keep the active tab in sight (only the bar scrolls).
  useEffect(() => {
    const nav = ref.current;
    const tab = nav?.querySelector<HTMLElement>('[aria-current="page"]');
    if (!nav || !tab || nav.scrollWidth <= nav.clientWidth) return;
    const left = tab.offsetLeft; // .tabs is position: relative, the tab's offsetParent
    if (left < nav.scrollLeft || left + tab.offsetWidth > nav.scrollLeft + nav.clientWidth) nav.scrollLeft = Math.max(0, left - 16);
  }, [active]);
  return (
    <nav className="tabs" aria-label={label} ref={ref}>
      {tabs.map((t) => (
        <Link key={t.id} to={t.to} className={`tab ${t.id === active ? 'active' : ''}`} aria-current={t.id === active ? 'page' : undefined}>
          {t.label}
          {t.count !== undefined && <span className="tab-count">{t.count.toLocaleString('en')}</span>}
        </Link>
      ))}
    </nav>
  );
}
