// The front page: open a quiz by its join code (its number, perhaps typed in groups).
import { loadLanguage } from "/web/js/i18n.js";
import { $, run } from "/web/js/page.js";

run(loadLanguage);

$("open-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const id = $("quiz-id").value.replace(/\s/g, "");
  if (/^\d+$/.test(id)) location.assign(`/play/${id}`);
});
