// Keep the newest question at the top of the conversation box while its answer streams in, so
// the answer and its first sources are in view (scrolling to the bottom would show the feedback
// row and push the answer out of sight). Scrolls only the box, never the page.
watch('value', () => {
  const turns = element.querySelectorAll('.msg.user');
  const latest = turns[turns.length - 1];
  if (!latest) return;
  let box = element;
  while (box && box.scrollHeight <= box.clientHeight) box = box.parentElement;
  if (!box || box === document.scrollingElement || box === document.body) return;
  box.scrollTop += latest.getBoundingClientRect().top - box.getBoundingClientRect().top - 4;
});
