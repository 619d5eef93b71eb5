// screens/tl_work/publication.jsx — central-body administrators: publish the next version of a
// trusted list now (build, sign, check, publish, with progress) and the version history with
// links to each stored version's XML.
import { useState } from 'preact/hooks';
import { api } from '../../lib/api.js';
import { t } from '../../lib/i18n.js';
import { fmtBytes } from '../../lib/format.js';
import { Button, Field, Table, Empty, ErrorBox, Notice, Spinner, Progress, Confirm, Time, useAsync } from '../../components/index.js';
import { useAction } from '../admin/kit.jsx';

export function Publication() {
  const lists = useAsync(() => api.get('/api/v1/tl').catch(() => ({ lists: [] })), []);
  const names = (lists.data && lists.data.lists || []).map((l) => l.name);
  const [picked, setPicked] = useState('');
  const name = picked || names[0] || 'ua';
  const versions = useAsync(() => api.get(`/api/v1/admin/tl/${encodeURIComponent(name)}/versions`), [name]);
  const [run, busy, error] = useAction();
  const [asking, setAsking] = useState(false);
  const [done, setDone] = useState(null);
  const publish = () => {
    setAsking(false); setDone(null);
    run(async () => {
      const r = await api.post(`/api/v1/admin/tl/${encodeURIComponent(name)}/publish`, {});
      setDone(r);
      versions.reload();
    });
  };
  const rows = versions.data ? [...(versions.data.versions || [])].sort((a, b) => b.sequence - a.sequence) : [];
  return (
    <div>
      <p class="lead">{t('tl.publish_lead')}</p>
      <div class="panel">
        <div class="form-row">
          {names.length > 1
            ? <Field label={t('tl.list')} as="select" value={name} onChange={(e) => setPicked(e.currentTarget.value)} options={names.map((n) => [n, n])} />
            : <Field label={t('tl.list')} value={name} onInput={(e) => setPicked(e.currentTarget.value)} />}
          <div class="field-btn"><Button onClick={() => setAsking(true)} busy={busy} data-testid="tl-publish">{t('tl.publish')}</Button></div>
        </div>
        {busy && <Progress label={t('tl.publishing')} />}
        <ErrorBox error={error} />
        {done && (
          <Notice>
            {t('tl.published', { n: done.sequence })} <a href={`/tl/history/${done.sequence}.xml`}>{t('tl.open_xml')}</a>
            {done.bytes ? <span class="muted"> · {fmtBytes(done.bytes)}</span> : null}
            {done.warnings && done.warnings.length > 0 && <ul>{done.warnings.map((w, i) => <li key={i}>{typeof w === 'string' ? w : JSON.stringify(w)}</li>)}</ul>}
          </Notice>
        )}
      </div>
      <Confirm open={asking} title={t('tl.publish_confirm_title')} message={t('tl.publish_confirm', { name })} confirmLabel={t('tl.publish')}
        onConfirm={publish} onCancel={() => setAsking(false)} />
      <h2>{t('tl.versions')}</h2>
      {versions.loading && !versions.data && <Spinner />}
      <ErrorBox error={versions.error} />
      {versions.data && (
        <Table testid="tl-versions" rowKey={(v) => v.sequence} rows={rows}
          empty={<Empty title={t('tl.no_versions')}>{t('tl.no_versions_hint')}</Empty>}
          columns={[
            { key: 'sequence', label: t('tl.sequence'), render: (v) => <a href={v.href || `/tl/history/${v.sequence}.xml`}>{t('tl.version_n', { n: v.sequence })}</a> },
            { key: 'issued', label: t('tl.issued'), render: (v) => <Time value={v.issued} /> },
            { key: 'next_update', label: t('tl.next_update'), render: (v) => <Time value={v.next_update} /> },
            { key: 'sha256', label: 'SHA-256', render: (v) => <code class="mono">{v.sha256}</code> },
          ]} />
      )}
    </div>
  );
}
