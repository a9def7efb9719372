import { describe, expect, it, vi } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import ImportLeads, { ImportResultView } from '../components/ImportLeads';
import { mockApi, renderWithProviders } from './helpers';

describe('ImportResultView', () => {
  it('shows the counts and each rejected row with its field and reason', () => {
    render(
      <ImportResultView
        result={{
          inserted: 3,
          updated: 1,
          rejected: [
            { row: 2, detail: [{ loc: ['body', 2, 'phone'], msg: 'Phone number needs a country code', type: 'value_error' }] },
            { row: 5, detail: [{ loc: ['body', 5, 'name'], msg: 'Field required', type: 'missing' }] },
          ],
        }}
        lines={['name,phone', 'A,+1', 'B,555', 'C,+2', 'D,+3', ',+4']}
      />,
    );
    expect(screen.getByTestId('import-inserted')).toHaveTextContent('3');
    expect(screen.getByTestId('import-updated')).toHaveTextContent('1');
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
    render(<ImportResultView result={{ inserted: 2, updated: 0, rejected: [] }} />);
    expect(screen.getByText('Every row was imported.')).toBeInTheDocument();
    expect(screen.queryByRole('table')).toBeNull();
  });
});

describe('ImportLeads', () => {
  it('uploads the picked CSV as text/csv and renders the answer', async () => {
    const { calls } = mockApi(() => ({ status: 200, json: { inserted: 1, updated: 0, rejected: [{ row: 2, detail: 'Duplicate row' }] } }));
    const onImported = vi.fn();
    renderWithProviders(<ImportLeads onImported={onImported} onClose={() => {}} />);
    const file = new File(['name,phone\nAda,+442079460958\nBad,12\n'], 'leads.csv', { type: 'text/csv' });
    const user = userEvent.setup();
    await user.upload(screen.getByLabelText('choose a file'), file);
    expect(await screen.findByTestId('import-picked')).toHaveTextContent('2 rows');
    await user.click(screen.getByRole('button', { name: 'Import 2 rows' }));
    await waitFor(() => expect(onImported).toHaveBeenCalled());
    expect(calls[0].headers['Content-Type']).toBe('text/csv');
    expect(calls[0].body).toBe('name,phone\nAda,+442079460958\nBad,12\n');
    expect(screen.getByTestId('import-inserted')).toHaveTextContent('1');
    expect(screen.getByText('Duplicate row')).toBeInTheDocument();
  });

  it('shows a server error (413) without losing the picked file', async () => {
    mockApi(() => ({ status: 413, json: { detail: 'Request body too large' } }));
    renderWithProviders(<ImportLeads onImported={() => {}} onClose={() => {}} />);
    const user = userEvent.setup();
    await user.upload(screen.getByLabelText('choose a file'), new File(['name,phone\nA,+14155550100\n'], 'x.csv', { type: 'text/csv' }));
    await user.click(await screen.findByRole('button', { name: 'Import 1 row' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Too large: Request body too large');
    expect(screen.getByTestId('import-picked')).toHaveTextContent('x.csv');
  });
});
