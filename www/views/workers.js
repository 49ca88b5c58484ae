// Workers: the adaptive pool that runs blocking work off the event loops.
import { clear, el, getJson, ms, notice, number, tile } from './util.js';

export async function render(section) {
  const w = await getJson('/api/v1/workers');
  if (!w.available) {
    clear(section).append(notice('No worker pool in this build: plugins and helpers run nothing ' +
      'off the event loops yet.'));
    return;
  }
  clear(section).append(
    el('div', { class: 'tiles' },
      tile('Threads', number(w.size), `between ${w.min} and ${w.max}`),
      tile('Busy', number(w.busy), `${number(w.size - w.busy)} idle`),
      tile('Queued', number(w.queued), null, w.queued ? 'warn' : null),
      tile('Queue wait p50', ms(w.queueWaitMs.p50)),
      tile('Queue wait p90', ms(w.queueWaitMs.p90)),
      tile('Queue wait p99', ms(w.queueWaitMs.p99)),
      tile('Tasks done', number(w.completed), `${number(w.submitted)} submitted`),
      tile('Pool changes', `+${number(w.grown)} / −${number(w.shrunk)}`, 'grown on wait / shrunk when idle')),
    el('p', { class: 'hint' }, 'The overview graphs the pool size and queue wait over 5 minutes.'));
}
