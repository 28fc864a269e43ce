// The front page: open a quiz by its join code (its number, perhaps typed in groups).
import { $ } from "/web/js/page.js";

$("open-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const id = $("quiz-id").value.replace(/\s/g, "");
  if (/^\d+$/.test(id)) location.assign(`/play/${id}`);
});
