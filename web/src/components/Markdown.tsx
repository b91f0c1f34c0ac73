// Repository descriptions: GitHub-flavoured markdown (tables, task lists, autolinks) rendered without raw HTML (react-markdown escapes it), with
// URLs through its safe transform (no javascript:, vbscript:, data: links). Images from other
// origins would be blocked by the UI's Content-Security-Policy, so they become links.
import ReactMarkdown, { defaultUrlTransform, type Components } from 'react-markdown';
import remarkGfm from 'remark-gfm';

function sameOrigin(url: string): boolean {
  try {
    return new URL(url, window.location.href).origin === window.location.origin;
  } catch {
    return false;
  }
}

const components: Components = {
  a: ({ href, children }) => {
    if (!href) return <span>{children}</span>;
    const external = !sameOrigin(href);
    return (
      <a href={href} {...(external ? { target: '_blank', rel: 'noopener noreferrer nofollow' } : {})}>
        {children}
      </a>
    );
  },
  img: ({ src, alt }) => {
    const url = typeof src === 'string' ? src : '';
    if (url && sameOrigin(url)) return <img src={url} alt={alt ?? ''} loading="lazy" />;
    return url ? (
      <a href={url} target="_blank" rel="noopener noreferrer nofollow" className="md-image-link">
        {alt || 'image'}
      </a>
    ) : null;
  },
  h1: ({ children }) => <h2 className="md-h1">{children}</h2>,
  table: ({ children }) => (
    <div className="table-scroll">
      <table>{children}</table>
    </div>
  ),
};

export function Markdown({ source }: { source: string }) {
  return (
    <div className="markdown">
      <ReactMarkdown remarkPlugins={[remarkGfm]} skipHtml urlTransform={(url) => defaultUrlTransform(url)} components={components}>
        {source}
      </ReactMarkdown>
    </div>
  );
}
