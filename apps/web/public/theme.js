// Runs before the app's first paint so a dark theme never flashes light. A file, not an inline
// script: the Content-Security-Policy allows scripts from this origin only ('self', no 'unsafe-inline').
try {
  const theme = localStorage.getItem('switchyard.theme');
  if (theme === 'dark' || (!theme && matchMedia('(prefers-color-scheme: dark)').matches)) {
    document.documentElement.classList.add('dark');
  }
} catch {}
