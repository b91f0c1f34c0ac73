// Repository descriptions: GitHub-flavoured markdown (tables, task lists, autolinks) rendered without raw HTML (react-markdown escapes it), with
// URLs through its safe transform (no javascript:, vbscript:, data: links). Images from other
// origins would be blocked by the UI's Content-Security-Policy, so they become links.
import ReactMarkdown, { defaultUrlTransform, type Components } from 'react-markdown';
import remarkGfm from 'remark-gfm';
import { CopyButton } from './CopyButton.tsx';

interface TextNode {
  type: string;
  value?: string;
  children?: TextNode[];
}

/** The text of a hast node (a code block's, for its copy button). */
function textOf(node: TextNode | undefined): string {
  if (!node) return '';
  if (node.type === 'text') return node.value ?? '';
  return (node.children ?? []).map(textOf).join('');
}

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
  // Code blocks get a copy button (a leading "$ " prompt is left out of what is copied).
  pre: ({ children, node }) => {
    const text = textOf(node as TextNode | undefined).replace(/\n$/, '');
    const copy = text.split('\n').map((l) => l.replace(/^\$ /, '')).join('\n');
    return (
      <div className="md-pre">
        <pre>{children}</pre>
        <CopyButton text={copy} label="Copy this code" compact />
      </div>
    );
  },
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
