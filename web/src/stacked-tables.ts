// On a phone every `.table` stacks: each row becomes a small card and each cell shows its column's
// name before it (styles.css, "Stacked tables"). The names come from the table's own header row,
// copied here into each cell's data-label, so no page has to repeat them; a cell that already has
// a data-label keeps it. One observer covers every table any page renders, now or later.
function label(root: ParentNode): void {
  for (const table of root.querySelectorAll<HTMLTableElement>('table.table')) {
    const heads = [...table.querySelectorAll<HTMLTableCellElement>(':scope > thead > tr:first-child > th')];
    if (heads.length === 0) continue;
    const names = heads.map((th) => (th.querySelector('.sr-only') ? '' : (th.textContent ?? '').trim()));
    for (const row of table.querySelectorAll<HTMLTableRowElement>(':scope > tbody > tr')) {
      let col = 0;
      for (const cell of row.cells) {
        if (!cell.hasAttribute('data-label')) cell.setAttribute('data-label', names[col] ?? '');
        col += cell.colSpan || 1;
      }
    }
  }
}

export function stackTables(root: HTMLElement): void {
  let queued = false;
  const run = () => {
    queued = false;
    label(root);
  };
  new MutationObserver(() => {
    if (queued) return;
    queued = true;
    // Before the next paint, so a stacked row never shows without its labels.
    requestAnimationFrame(run);
  }).observe(root, { childList: true, subtree: true });
  run();
}
