// The routes. Paths:
//   /, /search?q=&official=1&verified=1&sponsored=1&scanned=1&project=&sort=&page=   explore
//   /r/<project>/<repository...>[/-/tags|/-/settings]                      a repository ("-" is never a name component)
//   /r/<project>/<repository...>/-/scan/<tag|digest>?platform=&severity=&fixable=&package=   its scan report
//   /r/<project>/<repository...>/-/signatures/<tag|digest>                 its signatures
//   /r/<project>/<repository...>/-/images/<digest>?platform=               the image page of a digest
//   /_/<name>                                                              an Official Image (Docker Hub's short form)
//   /projects, /projects/<name>[/members|robots|webhooks|audit|settings|retention]
//   /admin[/projects], /account[/password], /signin?next=
import { Header } from './components/Header.tsx';
import { Account } from './pages/Account.tsx';
import { Admin } from './pages/Admin.tsx';
import { Explore } from './pages/Explore.tsx';
import { NotFound } from './pages/NotFound.tsx';
import { Project, type ProjectTab } from './pages/Project.tsx';
import { Projects } from './pages/Projects.tsx';
import { Repository } from './pages/Repository.tsx';
import { SignIn } from './pages/SignIn.tsx';
import { useLocation } from './router.tsx';

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function Route({ path }: { path: string }) {
  if (path === '/' || path === '/search') return <Explore />;
  if (path === '/signin') return <SignIn />;
  if (path === '/projects') return <Projects />;
  let m = /^\/(?:r|_)\/(.+?)(?:\/-\/(tags|settings|scan\/([^/]+)|signatures\/([^/]+)|images\/([^/]+)))?\/?$/.exec(path);
  if (m) {
    const name = decode(m[1]!);
    const full = path.startsWith('/_/') ? `library/${name}` : name;
    if (m[3]) return <Repository key={full} name={full} tab="scan" reference={decode(m[3])} />;
    if (m[4]) return <Repository key={full} name={full} tab="signatures" reference={decode(m[4])} />;
    if (m[5]) return <Repository key={full} name={full} tab="image" reference={decode(m[5])} />;
    return <Repository key={full} name={full} tab={m[2] === 'tags' ? 'tags' : m[2] === 'settings' ? 'settings' : 'overview'} />;
  }
  m = /^\/projects\/([^/]+)(?:\/(members|robots|audit|settings|retention|webhooks))?\/?$/.exec(path);
  if (m) return <Project key={m[1]} name={decode(m[1]!)} tab={(m[2] as ProjectTab | undefined) ?? 'repositories'} />;
  m = /^\/account(?:\/(tokens|password))?\/?$/.exec(path);
  if (m) return <Account tab={m[1] === 'password' ? 'password' : 'tokens'} />;
  m = /^\/admin(?:\/(users|projects|gc))?\/?$/.exec(path);
  if (m) return <Admin tab={m[1] === 'projects' ? 'projects' : m[1] === 'gc' ? 'gc' : 'users'} />;
  return <NotFound />;
}

export function App() {
  const { path } = useLocation();
  return (
    <>
      <a href="#main" className="skip-link">Skip to content</a>
      <Header />
      <main id="main" tabIndex={-1}>
        <Route path={path} />
      </main>
      <footer className="footer">
        <span>Berth container registry</span>
        <a href="/api/v1/openapi.json">API</a>
      </footer>
    </>
  );
}
