// The front page: open a quiz by its number.
const form = document.getElementById("open-form");
form.addEventListener("submit", (event) => {
  event.preventDefault();
  const id = document.getElementById("quiz-id").value.trim();
  if (/^\d+$/.test(id)) location.assign(`/play/${id}`);
});
