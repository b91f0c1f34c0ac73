import { useTitle } from '../hooks.ts';
import { Link } from '../router.tsx';
import { useSession } from '../session.tsx';

export function NotFound({ what = 'This page' }: { what?: string }) {
  const { me } = useSession();
  useTitle('Not found');
  return (
    <div className="page narrow center">
      <h1>Not found</h1>
      <p>
        {what} does not exist, or you may not see it.
        {me === null && ' Signing in may show more.'}
      </p>
      <p>
        <Link to="/search" className="btn btn-primary">Explore repositories</Link>
      </p>
    </div>
  );
}
