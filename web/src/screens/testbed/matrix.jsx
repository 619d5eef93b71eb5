// screens/testbed/matrix.jsx — the interoperability matrix: producing product (rows) × validating
// product (columns), each cell agree / disagree / indeterminate counts; CSV download.
import { useState } from 'preact/hooks';
import { api } from '../../lib/api.js';
import { t } from '../../lib/i18n.js';
import { Field, Empty, ErrorBox, Spinner, Time, useAsync } from '../../components/index.js';

export function Matrix() {
  const [f, setF] = useState({ kind: '', polarity: '', tag: '' });
  const res = useAsync(() => api.get('/api/v1/testbed/matrix', f), [JSON.stringify(f)]);
  const d = res.data;
  const name = (id) => {
    if (id === null || id === undefined) return t('testbed.no_producer');
    const p = d.products && d.products[id];
    return p ? `${p.vendor} ${p.name} ${p.version}` : '#' + id;
  };
  const cells = (d && d.cells) || [];
  const producers = [...new Set(cells.map((c) => (c.producer === null ? 'null' : String(c.producer))))];
  const validators = [...new Set(cells.map((c) => String(c.validator)))];
  const at = (p, v) => cells.find((c) => String(c.producer === null ? 'null' : c.producer) === p && String(c.validator) === v);
  const qs = new URLSearchParams(Object.entries({ ...f, format: 'csv' }).filter(([, v]) => v)).toString();
  return (
    <div>
      <p class="lead">{t('testbed.matrix_lead')}</p>
      <div class="panel form-row" role="group" aria-label={t('testbed.filters')}>
        <Field label={t('testbed.kind')} value={f.kind} onChange={(e) => setF({ ...f, kind: e.currentTarget.value })} />
        <Field label={t('testbed.polarity')} as="select" value={f.polarity} onChange={(e) => setF({ ...f, polarity: e.currentTarget.value })}
          options={[['', t('common.all')], ['positive', t('testbed.positive')], ['negative', t('testbed.negative')]]} />
        <Field label={t('testbed.tag')} value={f.tag} onChange={(e) => setF({ ...f, tag: e.currentTarget.value })} />
        <div class="field-btn"><a class="btn btn-secondary" href={'/api/v1/testbed/matrix?' + qs} download>{t('testbed.matrix_csv')}</a></div>
      </div>
      {res.loading && !d && <Spinner />}
      <ErrorBox error={res.error} />
      {d && (cells.length === 0 ? <Empty title={t('testbed.matrix_empty')}>{t('testbed.matrix_empty_hint')}</Empty> : (
        <div class="table-wrap matrix" data-testid="testbed-matrix">
          <table>
            <caption>{t('testbed.matrix_caption', { cases: d.cases })} <small class="muted"><Time value={d.computed_at} /></small></caption>
            <thead><tr><th scope="col">{t('testbed.producer_validator')}</th>{validators.map((v) => <th scope="col" key={v}>{name(v)}</th>)}</tr></thead>
            <tbody>
              {producers.map((p) => (
                <tr key={p}>
                  <th scope="row">{name(p === 'null' ? null : p)}</th>
                  {validators.map((v) => {
                    const c = at(p, v);
                    return <td key={v} class="num">{c ? <span>
                      <span class="badge badge-agree" title={t('testbed.agree')}>✓ {c.agree}</span>{' '}
                      <span class="badge badge-disagree" title={t('testbed.disagree')}>✗ {c.disagree}</span>{' '}
                      <span class="badge" title={t('testbed.indeterminate')}>? {c.indeterminate}</span></span> : '—'}</td>;
                  })}
                </tr>
              ))}
            </tbody>
          </table>
          <p class="muted small">{t('testbed.matrix_legend')}</p>
          {d.truncated && <p class="muted">{t('testbed.truncated')}</p>}
        </div>
      ))}
    </div>
  );
}
