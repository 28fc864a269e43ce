// The front page: open a quiz by its number.
import { $ } from "/web/js/page.js";

$("open-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const id = $("quiz-id").value.trim();
  if (/^\d+$/.test(id)) location.assign(`/play/${id}`);
});
