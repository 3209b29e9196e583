import type { ApprovalState } from '@stagecoach/contracts';
import type { ApprovalLinkRow, JobRunRow, RunRow } from '@stagecoach/db';

const esc = (s: unknown) =>
  String(s ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

const STYLE = `body{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem}table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #ddd}
.current{background:#fff6d5}.next{color:#777}textarea{width:100%;min-height:5rem}
button{font-size:1rem;padding:.5rem 1.2rem;margin:.5rem .5rem 0 0;border:0;border-radius:4px;color:#fff;cursor:pointer}
.approve{background:#2e7d32}.reject{background:#c62828}`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta name="robots" content="noindex"><title>${esc(title)}</title><style>${STYLE}</style></head>
<body>${body}</body></html>`;
}

/** A page that only says something (used link, approval over, unknown link, decision recorded). */
export function messagePage(title: string, message: string): string {
  return page(title, `<h1>${esc(title)}</h1><p id="message">${esc(message)}</p>`);
}

/**
 * The approval page: the run, the stage waiting, what ran before and what comes after, the votes
 * so far, and the approver's Approve / Reject with a comment. The form posts back to the same URL.
 * `approval` is the link's job's approval, waiting.
 */
export function approvalPage(
  link: ApprovalLinkRow,
  run: RunRow,
  jobs: JobRunRow[],
  approval: ApprovalState | undefined,
  action: string,
): string {
  const statusOf = (name: string, planned: string) =>
    name === link.job ? 'wait_for_approval' : (jobs.find((r) => r.job === name)?.status ?? (planned || 'not run'));
  const current = run.stages.findIndex((s) => s.jobs.some((j) => j.name === link.job));
  const stageRows = run.stages
    .map((stage, i) => {
      const cls = i === current ? 'current' : i > current ? 'next' : '';
      const state = i === current ? 'waiting for approval' : i > current ? 'next' : stage.status || 'not run';
      const jobsText = stage.jobs.map((j) => `${esc(j.name)} (${esc(statusOf(j.name, j.status))})`).join(', ');
      return `<tr class="${cls}"><td>${esc(stage.name)}</td><td>${esc(state)}</td><td>${jobsText}</td></tr>`;
    })
    .join('');
  const votes = (approval?.votes ?? [])
    .map(
      (v) =>
        `<li>${esc(v.user)}: ${v.approve ? 'approved' : 'rejected'}${v.comment ? ` — ${esc(v.comment)}` : ''}</li>`,
    )
    .join('');
  const mine = approval?.votes.find((v) => v.user === link.approver);
  const title = `Approve ${run.workflow} #${run.runNumber}`;
  return page(
    title,
    `<h1>${esc(title)}</h1>
<p>Project <b>${esc(run.project)}</b>, workflow <b>${esc(run.workflow)}</b>, run <b>#${run.runNumber}</b> started by
<b>${esc(run.creator)}</b>${run.remark ? ` — ${esc(run.remark)}` : ''}. Job <b>${esc(link.job)}</b> waits for
${approval ? `${approval.neededApprovers} of ${approval.approvers.length} approvers` : 'approval'}; you are <b>${esc(link.approver)}</b>.</p>
<table><tr><th>stage</th><th>state</th><th>jobs</th></tr>${stageRows}</table>
${votes ? `<h2>Votes so far</h2><ul>${votes}</ul>` : ''}
${mine ? `<p id="message">You ${mine.approve ? 'approved' : 'rejected'} already.</p>` : voteForm(action)}`,
  );
}

/** The approver's choice; shown only to one who has not voted yet (by this link or otherwise). */
function voteForm(action: string): string {
  return `<form method="post" action="${esc(action)}">
<label for="comment">Comment</label><textarea id="comment" name="comment" maxlength="2000"></textarea>
<button class="approve" name="decision" value="approve" type="submit">Approve</button>
<button class="reject" name="decision" value="reject" type="submit">Reject</button>
</form>`;
}
