// Runs once per HTML component (gr.HTML js_on_load); `element` persists across value updates, so
// one delegated listener serves every re-render. Only `data-ref` values we wrote are sent back.
element.addEventListener('click', (event) => {
  const target = event.target.closest('[data-ref]');
  if (!target || !element.contains(target)) return;
  event.preventDefault();
  const box = target.closest('.feedback');
  const input = box ? box.querySelector('input.fb-comment') : null;
  trigger('click', {ref: target.getAttribute('data-ref'), comment: input ? input.value : ''});
});
element.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && event.target.matches('input.fb-comment')) event.preventDefault();
});
