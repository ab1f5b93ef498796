// After the side panel shows a new article, bring the highlighted passage into view.
watch('value', () => {
  const mark = element.querySelector('mark.hl');
  if (mark) mark.scrollIntoView({block: 'center'});
});
