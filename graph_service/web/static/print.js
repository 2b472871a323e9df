// The report's print button: the browser's own print dialog, which also saves to PDF.
document.getElementById("print")?.addEventListener("click", () => window.print());
