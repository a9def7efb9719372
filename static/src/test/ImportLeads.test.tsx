import { describe, expect, it, vi } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/react';
import type { ReactElement } from 'react';
import ImportLeads, { ImportResultView, leadsWithFieldsCleared } from '../components/ImportLeads';
import { Modal } from '../components/ui';
import type { ImportResult } from '../api';
import { mockApi, renderAndUpload, type MockCall } from './helpers';

const result = (over: Partial<ImportResult> = {}): ImportResult => ({
  inserted: 0,
  updated: 0,
  unchanged: 0,
  skipped: 0,
  rejected: [],
  changes: [],
  changes_total: 0,
  dry_run: false,
  ...over,
});

const CSV = 'name,phone,email,company\nAda,+442079460958,,\nNew,+442079460959,new@example.com,\nBad,12,,\n';

// Ada exists: merge keeps her values, replace clears her email and company
const ADA_REPLACE = {
  row: 1,
  lead_id: 7,
  name: 'Ada',
  phone: '+442079460958',
  fields: { email: { from: 'ada@example.com', to: null }, company: { from: 'Analytical', to: null } },
};
const BAD_ROW = { row: 3, detail: [{ loc: ['body', 3, 'phone'], msg: 'phone must include the country code', type: 'value_error' }] };

function params(c: MockCall): URLSearchParams {
  return new URL(c.url, 'http://x').searchParams;
}

/** The import route answering like the server for CSV above: dry runs and commits, per on_existing. */
function importServer() {
  return mockApi((c) => {
    if (c.method !== 'POST' || !c.url.startsWith('/api/leads/import')) return undefined;
    const q = params(c);
    const mode = q.get('on_existing') ?? 'merge';
    const dry = q.get('dry_run') === 'true';
    const base = { inserted: 1, rejected: [BAD_ROW], dry_run: dry };
    if (mode === 'skip') return { status: 200, json: result({ ...base, skipped: 1 }) };
    if (mode === 'replace') return { status: 200, json: result({ ...base, updated: 1, changes: [ADA_REPLACE], changes_total: 1 }) };
    return { status: 200, json: result({ ...base, unchanged: 1 }) };
  });
}

/** Render `ui` (an ImportLeads) and pick a CSV file in it. */
async function renderAndPick(ui: ReactElement, text = CSV, name = 'leads.csv') {
  const { user } = await renderAndUpload(ui, 'choose a file', new File([text], name, { type: 'text/csv' }));
  return user;
}

describe('ImportResultView', () => {
  it('shows the counts and each rejected row with its field and reason', () => {
    render(
      <ImportResultView
        result={result({
          inserted: 3,
          updated: 1,
          unchanged: 4,
          skipped: 2,
          rejected: [
            { row: 2, detail: [{ loc: ['body', 2, 'phone'], msg: 'Phone number needs a country code', type: 'value_error' }] },
            { row: 5, detail: [{ loc: ['body', 5, 'name'], msg: 'Field required', type: 'missing' }] },
          ],
        })}
        lines={['name,phone', 'A,+1', 'B,555', 'C,+2', 'D,+3', ',+4']}
      />,
    );
    expect(screen.getByTestId('import-inserted')).toHaveTextContent('3');
    expect(screen.getByTestId('import-updated')).toHaveTextContent('1');
    expect(screen.getByTestId('import-unchanged')).toHaveTextContent('4');
    expect(screen.getByTestId('import-skipped')).toHaveTextContent('2');
    expect(screen.getByTestId('import-rejected')).toHaveTextContent('2');
    const rows = within(screen.getByRole('table')).getAllByRole('row');
    expect(rows).toHaveLength(3);
    expect(rows[1]).toHaveTextContent('2');
    expect(rows[1]).toHaveTextContent('phone');
    expect(rows[1]).toHaveTextContent('Phone number needs a country code');
    expect(rows[1]).toHaveTextContent('B,555');
    expect(rows[2]).toHaveTextContent('Field required');
  });

  it('says so when every row was imported', () => {
    render(<ImportResultView result={result({ inserted: 2 })} />);
    expect(screen.getByText('Every row was imported.')).toBeInTheDocument();
    expect(screen.queryByRole('table')).toBeNull();
  });

  it('lists the changes: lead, field, from → to, attributes by name, empty values as such', () => {
    render(
      <ImportResultView
        preview
        result={result({
          updated: 2,
          changes_total: 1201,
          changes: [
            { row: 4, lead_id: 9, name: 'Grace', phone: '+14155550100', fields: { 'attributes.city': { from: null, to: 'Leeds' }, email: { from: 'g@old.example', to: 'g@new.example' } } },
          ],
        })}
      />,
    );
    expect(screen.getByTestId('preview-updated')).toHaveTextContent('2');
    expect(screen.getByText('Every row can be imported.')).toBeInTheDocument();
    const table = screen.getByRole('table', { name: /Changes to existing leads/ });
    const rows = within(table).getAllByRole('row');
    expect(rows).toHaveLength(3); // the header, then email (the form's order) and the attribute
    expect(within(rows[1]).getByRole('rowheader')).toHaveTextContent('Grace');
    expect(within(rows[1]).getByRole('rowheader')).toHaveTextContent('+14155550100 · row 4');
    expect(rows[1]).toHaveTextContent('Email');
    expect(rows[1]).toHaveTextContent('from g@old.example → to g@new.example');
    expect(rows[2]).toHaveTextContent('city (attribute)');
    expect(rows[2]).toHaveTextContent('from empty → to Leeds');
    expect(screen.getByText('…and 1,200 more changed leads.')).toBeInTheDocument();
  });

  it('counts the leads that lose a value', () => {
    expect(leadsWithFieldsCleared(result({ changes: [ADA_REPLACE, { ...ADA_REPLACE, row: 2, fields: { name: { from: 'a', to: 'b' } } }] }))).toBe(1);
  });
});

describe('ImportLeads', () => {
  it('previews the picked file with a dry run, then imports it as text/csv', async () => {
    const { calls } = importServer();
    const onImported = vi.fn();
    const user = await renderAndPick(<ImportLeads onImported={onImported} onClose={() => {}} />);
    expect(await screen.findByTestId('import-picked')).toHaveTextContent('3 rows');

    // the dry run starts by itself: merge, nothing written
    const preview = await screen.findByTestId('import-preview');
    expect(calls).toHaveLength(1);
    expect(params(calls[0]).get('dry_run')).toBe('true');
    expect(params(calls[0]).get('on_existing')).toBe('merge');
    expect(calls[0].headers['Content-Type']).toBe('text/csv');
    expect(calls[0].body).toBe(CSV);
    expect(within(preview).getByTestId('preview-inserted')).toHaveTextContent('1');
    expect(within(preview).getByTestId('preview-unchanged')).toHaveTextContent('1');
    expect(within(preview).getByTestId('preview-rejected')).toHaveTextContent('1');
    expect(within(preview).getByText('phone must include the country code')).toBeInTheDocument();
    expect(within(preview).getByText('Bad,12,,')).toBeInTheDocument();
    expect(screen.getByTestId('import-preview-status')).toHaveTextContent('Preview: nothing has been imported yet.');
    expect(screen.getByRole('radio', { name: 'Merge (keep existing values where a cell is empty)' })).toBeChecked();
    expect(onImported).not.toHaveBeenCalled();

    await user.click(screen.getByRole('button', { name: 'Import 3 rows' }));
    await waitFor(() => expect(onImported).toHaveBeenCalled());
    expect(calls).toHaveLength(2);
    expect(params(calls[1]).get('dry_run')).toBe('false');
    expect(params(calls[1]).get('on_existing')).toBe('merge');
    expect(calls[1].body).toBe(CSV);
    const done = screen.getByTestId('import-result');
    expect(within(done).getByTestId('import-inserted')).toHaveTextContent('1');
    expect(within(done).getByTestId('import-rejected')).toHaveTextContent('1');
    expect(screen.getByText(/existing leads merged/)).toBeInTheDocument();
    expect(screen.queryByTestId('import-preview')).toBeNull();
  });

  it('runs the dry run again when the choice for existing leads changes', async () => {
    const { calls } = importServer();
    const user = await renderAndPick(<ImportLeads onImported={() => {}} onClose={() => {}} />);
    await screen.findByTestId('import-preview');
    await user.click(screen.getByRole('radio', { name: 'Skip existing leads' }));
    await waitFor(() => expect(screen.getByTestId('preview-skipped')).toHaveTextContent('1'));
    expect(calls.map((c) => params(c).get('on_existing'))).toEqual(['merge', 'skip']);
    expect(calls.every((c) => params(c).get('dry_run') === 'true')).toBe(true);
  });

  it('asks before a replace that clears fields, saying how many leads; cancelling imports nothing', async () => {
    const { calls } = importServer();
    const onImported = vi.fn();
    const user = await renderAndPick(<ImportLeads onImported={onImported} onClose={() => {}} />);
    await screen.findByTestId('import-preview');
    await user.click(screen.getByRole('radio', { name: 'Replace (clear fields left empty)' }));
    const changes = await screen.findByRole('table', { name: /Changes to existing leads/ });
    expect(changes).toHaveTextContent('from ada@example.com → to empty');

    await user.click(screen.getByRole('button', { name: 'Import 3 rows' }));
    const dialog = await screen.findByRole('dialog', { name: 'Clear fields of 1 lead?' });
    expect(dialog).toHaveTextContent('1 lead will have fields or attributes cleared');
    expect(within(dialog).getByRole('button', { name: 'Keep it' })).toHaveFocus();
    await user.click(within(dialog).getByRole('button', { name: 'Keep it' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(calls.filter((c) => params(c).get('dry_run') === 'false')).toHaveLength(0);

    await user.click(screen.getByRole('button', { name: 'Import 3 rows' }));
    await user.click(await screen.findByRole('button', { name: 'Replace and clear fields' }));
    await waitFor(() => expect(onImported).toHaveBeenCalled());
    const commit = calls.filter((c) => params(c).get('dry_run') === 'false');
    expect(commit).toHaveLength(1);
    expect(params(commit[0]).get('on_existing')).toBe('replace');
    expect(within(screen.getByTestId('import-result')).getByTestId('import-changes')).toHaveTextContent('Ada');
  });

  it('Escape in the confirmation closes only the confirmation, not the import dialog', async () => {
    importServer();
    const onClose = vi.fn();
    const user = await renderAndPick(
      <Modal title="Import leads from CSV" onClose={onClose}>
        <ImportLeads onImported={() => {}} onClose={onClose} />
      </Modal>,
    );
    await user.click(await screen.findByRole('radio', { name: 'Replace (clear fields left empty)' }));
    await screen.findByRole('table', { name: /Changes to existing leads/ });
    await user.click(screen.getByRole('button', { name: 'Import 3 rows' }));
    const confirm = await screen.findByRole('dialog', { name: 'Clear fields of 1 lead?' });
    // Tab stays in the confirmation
    await user.tab();
    await user.tab();
    await user.tab();
    expect(confirm.contains(document.activeElement)).toBe(true);
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog', { name: 'Clear fields of 1 lead?' })).toBeNull();
    expect(screen.getByRole('dialog', { name: 'Import leads from CSV' })).toBeInTheDocument();
    expect(onClose).not.toHaveBeenCalled();
  });

  it('shows a dry-run error (413) without losing the picked file, and does not offer to import', async () => {
    mockApi(() => ({ status: 413, json: { detail: 'Request body too large' } }));
    await renderAndPick(<ImportLeads onImported={() => {}} onClose={() => {}} />, 'name,phone\nA,+14155550100\n', 'x.csv');
    expect(await screen.findByRole('alert')).toHaveTextContent('Too large: Request body too large');
    expect(screen.getByTestId('import-picked')).toHaveTextContent('x.csv');
    expect(screen.getByRole('button', { name: 'Import 1 row' })).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Check again' })).toBeInTheDocument();
  });

  it('shows a failed commit (409) and keeps the preview', async () => {
    mockApi((c) =>
      params(c).get('dry_run') === 'true'
        ? { status: 200, json: result({ inserted: 1, dry_run: true }) }
        : { status: 409, json: { detail: 'Some of these leads were changed; nothing was imported: try again' } },
    );
    const user = await renderAndPick(<ImportLeads onImported={() => {}} onClose={() => {}} />, 'name,phone\nA,+14155550100\n');
    await screen.findByTestId('import-preview');
    await user.click(screen.getByRole('button', { name: 'Import 1 row' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Conflict: Some of these leads were changed');
    expect(screen.getByTestId('import-preview')).toBeInTheDocument();
  });
});
