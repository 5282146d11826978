// Runs before the app's first paint so a dark theme never flashes light. A file, not an inline
// script: the Content-Security-Policy allows scripts from this origin only ('self', no 'unsafe-inline').
// On a chat page the server drew, the server already put the theme of the browser's last visit on
// <html> and loads this without holding the page (async): it then only corrects a theme that
// followed the system and the system changed since.
try {
  const theme = localStorage.getItem('switchyard.theme');
  const dark = theme === 'dark' || (!theme && matchMedia('(prefers-color-scheme: dark)').matches);
  document.documentElement.classList.toggle('dark', dark);
} catch {}
